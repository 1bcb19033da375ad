import random, time
from diagram.plan import Plan
from diagram.style import random_style, Style
from diagram.engine import layout, LayoutEngine
from diagram.metrics import tidy, readability
rng = random.Random(0)
plans = []
for i in range(60):
    k = rng.random()
    if k < 0.4:
        plans.append(Plan.dense([rng.randint(1, 10) for _ in range(rng.randint(2, 5))]))
    elif k < 0.6:
        plans.append(Plan.chain([f"Conv {j}x{j}" for j in range(rng.randint(2, 9))]))
    else:
        n = rng.randint(2, 7)
        ranks = [[f"Step {r}-{j} thing" for j in range(rng.choice([1,1,2,3]))] for r in range(n)]
        p = Plan.steps(ranks)
        loops = ((p.n_nodes - 1, 0),) if rng.random() < 0.4 else ()
        plans.append(Plan.steps(ranks, loops))
for method in ("dot", "grid"):
    t = time.perf_counter(); ok = 0; rs = []
    bad = []
    for p in plans:
        s = random_style(rng)
        d = layout(p.nodes(), s, method)
        tt = tidy(d); ok += tt.ok; rs.append(readability(d).score)
        if not tt.ok: bad.append((p.line(), s, tt))
    print(method, ok, len(plans), sum(rs)/len(rs), (time.perf_counter()-t)/len(plans))
    for b in bad[:5]: print(b)
from diagram.layouts import layout_dl_model, DenseNet, Style as LS
print("--- by kind")
for method in ("dot", "grid"):
    agg = {}
    for p in plans:
        s = random_style(random.Random(1))
        r = readability(layout(p.nodes(), s, method))
        a = agg.setdefault(p.kind, [])
        a.append((r.score, r.crossings, r.min_gap))
    for k, v in agg.items():
        print(method, k, round(sum(x[0] for x in v)/len(v), 3), sum(x[1] for x in v)/len(v), min(x[2] or 99 for x in v), sum((x[2] or 0)<10 for x in v), len(v))
v=[]
for p in plans:
    if p.kind=="dense":
        r = readability(layout_dl_model(DenseNet(p.sizes), LS()))
        v.append((r.score, r.crossings, r.min_gap))
print("layouts dense", round(sum(x[0] for x in v)/len(v), 3), sum(x[1] for x in v)/len(v), sum((x[2] or 0)<10 for x in v))
