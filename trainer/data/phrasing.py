"""How people ask for diagrams: component vocabulary, request phrasings and noise (used by synth.py).

A request is built from a structure in one of many phrasing families (arrow chains, bullet and
numbered lists, semicolons, "X feeds Y and Z", the original project's "process that consists of
first, ..., and then ..."), optionally wrapped politely ("Could you draw ...") and, at training
time only, made noisy (typos in filler words, mixed case, spacing). The structure is always fully
determined by the request: every number and every component is named, in flow order.

Flowchart steps are named components ("Retriever", "Kafka", "Feature store"); a name always has
the same role (numeric, text, picture, db, chart, function, process, model), which fixes its
colour and shape in the reference, and the name itself becomes the node's label.

    >>> import random
    >>> number(3, random.Random(0)) in ("3", "three")
    True
"""

from __future__ import annotations

import random
import re

# ---- numbers ----------------------------------------------------------------------------------

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve")
ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth")


def number(n: int, rng: random.Random, words: float = 0.3) -> str:
    """`n` as digits, or (with probability `words`) as an English word when it has one."""
    if n < len(NUMBER_WORDS) and rng.random() < words:
        return NUMBER_WORDS[n]
    return str(n)


def join(items: list[str], rng: random.Random | None = None) -> str:
    """'a', 'a and b', 'a, b and c' (or with an Oxford comma / '&' when rng says so)."""
    if len(items) == 1:
        return items[0]
    conj = " and "
    if rng is not None:
        conj = rng.choice((" and ", " and ", " and ", " & "))
        if len(items) > 2 and rng.random() < 0.3:
            conj = "," + conj
    return ", ".join(items[:-1]) + conj + items[-1]


def plural(n: int, noun: str, text: str | None = None) -> str:
    return f"{text if text is not None else n} {noun if n == 1 else noun + 's'}"


# ---- component vocabulary ---------------------------------------------------------------------
# "Name:role". Names are unique across roles, have no quote or backslash and are <= 40 chars.

_SOURCES = """
PDF files:text|Web pages:text|User query:text|Chat messages:text|Support tickets:text|Emails:text
|Documents:text|Text corpus:text|Transcripts:text|Log files:text|Source code:text|Reviews:text
|News articles:text|Tweets:text|Contracts:text|Invoices:picture|Scanned forms:picture
|Images:picture|Camera feed:picture|Video frames:picture|X-ray images:picture|Satellite images:picture
|Photos:picture|Screenshots:picture|Audio:numeric|Microphone:numeric|Sensor data:numeric
|IoT sensors:numeric|Clickstream:numeric|Tabular data:numeric|CSV files:numeric|Time series:numeric
|Stock prices:numeric|Transactions:numeric|Telemetry:numeric|GPS data:numeric|Metrics:numeric
|Raw data:numeric|Training data:numeric|User events:numeric|S3 bucket:db|Data lake:db|Postgres:db
|MySQL:db|MongoDB:db|BigQuery:db|Snowflake:db|Data warehouse:db|SQL database:db|API:function
|REST API:function|Webhook:function|Kafka:process|Kinesis:process|Pub/Sub:process|RabbitMQ:process
|Crawler:process|Scraper:process|User:text|Customer:text|Client:text|Mobile app:function
|Web app:function|Frontend:function
"""
_MIDDLES = """
Loader:function|Document loader:function|Parser:function|HTML parser:function|Text splitter:function
|Chunker:function|Tokenizer:function|Embedder:model|Embedding model:model|Encoder:model|Decoder:model
|Retriever:model|Reranker:model|Cross-encoder:model|BM25:function|Vector DB:db|FAISS:db|Pinecone:db
|Chroma:db|Weaviate:db|Milvus:db|Elasticsearch:db|Redis:db|Cache:db|Feature store:db|Redis cache:db
|Prompt builder:function|Prompt template:function|LLM:model|GPT-4:model|Llama 3:model
|Generator:model|Summarizer:model|Classifier:model|Router:function|Guardrails:function
|Moderation:function|Validator:function|Schema check:function|OCR:model|Layout parser:model
|Table extractor:function|Speech to text:model|Whisper:model|ASR:model|Translator:model
|NER:model|Sentiment model:model|Object detector:model|YOLO:model|Segmenter:model|ResNet:model
|ViT:model|CLIP:model|BERT:model|Transformer:model|CNN:model|RNN:model|LSTM:model|XGBoost:model
|Random forest:model|Regressor:model|Forecaster:model|Anomaly detector:model|Recommender:model
|Ranker:model|Scorer:model|Cleaner:process|Data cleaning:process|Deduplication:process
|Normalizer:process|Preprocessing:process|Augmentation:process|Feature extraction:process
|Feature engineering:process|Resize:process|Crop:process|Denoise:process|Filter:process
|Aggregator:process|Join:process|Merge:process|Enrichment:process|Validation:process
|Labeling:process|Annotation:process|Sampler:process|Splitter:process|Train/test split:process
|Training:process|Fine-tuning:process|Evaluation:process|Hyperparameter search:process
|Cross-validation:process|Model registry:db|MLflow:process|Airflow:process|Spark:process
|Spark job:process|dbt:process|ETL:process|Batch job:process|Stream processor:process|Flink:process
|Scheduler:process|Queue:process|Message queue:process|Load balancer:process|API gateway:function
|Auth service:function|Backend:function|Microservice:function|Lambda:function|Docker:process
|Kubernetes:process|CI pipeline:process|Unit tests:process|Build:process|Deploy:process
|Canary:process|Model server:function|Inference API:function|Triton:function|Batch scoring:process
|Monitoring:process|Drift detector:model|Agent:model|Planner:model|Tool executor:function
|Tools:function|Memory:db|Web search:function|Calculator:function|Code interpreter:function
|Critic:model|Reflection:model|Policy:model|Environment:process|Reward model:model
|Replay buffer:db|Value network:model|Actor:model|Learner:process|Optimizer:process
|Human review:process|Approval:process|Pandas:function|NumPy:function|scikit-learn:function
|PyTorch:function|Hugging Face:function|Query rewriter:model|Intent classifier:model
|Entity linker:model|Knowledge graph:db|Graph DB:db|Neo4j:db|DuckDB:db|Parquet files:db
|Delta Lake:db|Object storage:db|Blob storage:db|Data catalog:db|Schema registry:db
|Great Expectations:process|Data quality checks:process|PII redaction:process|Anonymizer:process
|Language detection:model|Spell checker:function|Keyword extractor:function|Topic model:model
|Clustering:model|K-means:model|PCA:process|Dimensionality reduction:process|Autoencoder:model
|GAN:model|Diffusion model:model|Upscaler:model|Face detector:model|Pose estimator:model
|Tracker:model|Depth estimator:model|Image encoder:model|Text encoder:model|Fusion layer:model
|Attention:model|Softmax:function|Post-processing:process|NMS:function|Thresholding:function
|Calibration:process|Ensemble:model|LightGBM:model|CatBoost:model|Logistic regression:model
|Time series model:model|Prophet:model|ARIMA:model|Feature selection:process|Imputation:process
|Scaler:process|One-hot encoder:function|Vectorizer:function|TF-IDF:function|Word2Vec:model
|Sentence transformer:model|Context builder:function|Answer generator:model|Citation checker:function
|Fact checker:model|Output parser:function|JSON validator:function|Rate limiter:function
|Load tester:process|Feature pipeline:process|Training pipeline:process|Inference pipeline:process
|A/B test:process|Shadow deployment:process|Rollback:process|Model card:text|Prompt cache:db
"""
_SINKS = """
Dashboard:chart|Report:chart|Grafana:chart|Tableau:chart|Power BI:chart|Plot:chart|Chart:chart
|Visualization:chart|Alerts:chart|Slack:text|Email alert:text|Notification:text|Answer:text
|Response:text|Summary:text|Chat UI:text|Reply:text|Translation:text|Captions:text|Labels:text
|Predictions:numeric|Scores:numeric|Forecast:numeric|Embeddings:numeric|Recommendations:numeric
|Risk score:numeric|Bounding boxes:picture|Masks:picture|Heatmap:picture|Thumbnail:picture
|Output image:picture|Archive:db|Warehouse table:db|Results DB:db|Index:db|Search index:db
|Data mart:db|Output bucket:db|Audit log:db|Production:process|Web UI:function|Mobile UI:function
|End user:text|Customer app:function
"""


def _parse_vocab(text: str) -> tuple[tuple[str, str], ...]:
    pairs = [tuple(item.strip().rsplit(":", 1)) for item in text.split("|") if item.strip()]
    return tuple((name, role) for name, role in pairs)


SOURCE_NAMES = _parse_vocab(_SOURCES)
MIDDLE_NAMES = _parse_vocab(_MIDDLES)
SINK_NAMES = _parse_vocab(_SINKS)
ROLE_OF = {name: role for name, role in SOURCE_NAMES + MIDDLE_NAMES + SINK_NAMES}
# Loops: agent and RL cycles (node names in cycle order; the last feeds back to the first).
CYCLES = (
    ("Agent", "Tools", "Memory"), ("Agent", "Environment", "Reward model"),
    ("Policy", "Environment", "Replay buffer", "Learner"), ("Planner", "Tool executor", "Critic"),
    ("Actor", "Environment", "Replay buffer", "Learner"), ("LLM", "Tool executor", "Memory"),
    ("Generator", "Critic", "Reflection"), ("Agent", "Web search", "Summarizer"),
    ("Training", "Evaluation", "Hyperparameter search"), ("Build", "Unit tests", "Deploy", "Monitoring"),
)
# Abbreviations and spellings people use for a name (the label stays the canonical name).
ALIASES = {
    "Vector DB": ("vector database", "vector store", "vectordb"),
    "LLM": ("large language model", "llm"), "OCR": ("ocr", "text recognition"),
    "Embedder": ("embedding step",), "S3 bucket": ("S3", "s3 bucket"), "Data lake": ("datalake",),
    "Feature store": ("feature-store",), "Speech to text": ("speech-to-text", "STT"),
    "Postgres": ("PostgreSQL", "postgres"), "Kafka": ("kafka", "Kafka topic"),
    "FAISS": ("Faiss", "faiss index"), "Dashboard": ("dashbaord", "dashboard"),
}
assert len(ROLE_OF) == len(SOURCE_NAMES) + len(MIDDLE_NAMES) + len(SINK_NAMES), "names must be unique"
assert all(n in ROLE_OF for cycle in CYCLES for n in cycle)


def mention(name: str, rng: random.Random, alias: float = 0.1) -> str:
    """How a request spells a component: its name, sometimes lower case or an alias."""
    r = rng.random()
    if name in ALIASES and r < alias:
        return rng.choice(ALIASES[name])
    if r < alias + 0.15 and not any(c.isupper() for c in name[1:]):
        return name.lower()
    return name


# ---- politeness and noise ---------------------------------------------------------------------

_WRAP_FLOW = ("Could you draw {}", "Please draw {}", "Can you make a diagram of {}",
              "I need a diagram for {}", "Draw {}", "Sketch {}", "Make a flowchart: {}",
              "Diagram of {}", "can u draw {} pls", "Show {} as a diagram", "Visualize {}",
              "Please create a flow diagram: {}", "Would you draw {}, thanks", "{}")
_WRAP_DL = ("Could you draw {}", "Please draw {}", "Draw {}", "Can you sketch {}",
            "I need a picture of {}", "Visualize {}", "Make a diagram of {}", "pls draw {}",
            "Show me {}", "{}")


_WRAP_SENTENCE = ("Could you draw this: {}", "Please diagram the following. {}", "Draw this flow: {}",
                  "Can you visualize this? {}", "diagram pls: {}")
_IMPERATIVE = re.compile(r"^(?:draw|make|sketch|please|could|can|i need|show|visuali[sz]e)\b", re.I)
_SENTENCE = re.compile(r"\b(?:feeds?|goes|go|sends?|flows? into|is passed|are passed|outputs?|connects?|"
                       r"first|start with|begin with|reads|passes|stores)\b", re.I)


def wrap(request: str, rng: random.Random, dl: bool, p: float = 0.35) -> str:
    """A polite or imperative wrapper around the request (with probability `p`)."""
    if rng.random() >= p or _IMPERATIVE.match(request):
        return request
    sentence = not dl and bool(_SENTENCE.search(request)) and not request.startswith("process that")
    template = rng.choice(_WRAP_SENTENCE if sentence else _WRAP_DL if dl else _WRAP_FLOW)
    if sentence:
        return template.format(request)
    if template != "{}" and "\n" not in request and request[:1].isupper() and not request[1:2].isupper():
        request = request[0].lower() + request[1:]
    text = template.format(request)
    if rng.random() < 0.3 and not text.endswith(("?", ".", "pls")) and "\n" not in text:
        text += rng.choice(("?", ".", " please", ", thanks!"))
    return text


_KEYS = "qwertyuiopasdfghjklzxcvbnm"


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swap
    if kind == 1:
        return word[:i] + word[i + 1:]  # drop
    if kind == 2:
        return word[:i] + word[i] + word[i:]  # double
    return word[:i] + rng.choice(_KEYS) + word[i + 1:]  # wrong key


def add_noise(request: str, rng: random.Random, protect: frozenset[str] = frozenset()) -> str:
    """Typos in a few filler words (never digits or words in `protect`), case and spacing noise."""
    words = re.split(r"(\s+)", request)
    rate = rng.choice((0.0, 0.03, 0.06, 0.1))
    for i, w in enumerate(words):
        if (len(w) >= 5 and w.isalpha() and w.islower() and w not in protect
                and rng.random() < rate):
            words[i] = _typo(w, rng)
    text = "".join(words)
    r = rng.random()
    if r < 0.1:
        text = text.lower()
    elif r < 0.15:
        text = text[:1].lower() + text[1:]
    elif r < 0.2 and "\n" not in text:
        text = text.rstrip(".") + "."
    if rng.random() < 0.1:
        text = text.replace(", ", ",", 1)
    if rng.random() < 0.1:
        text = text.replace(" ", "  ", 1)
    return text


# ---- dense nets -------------------------------------------------------------------------------

_NET = ("MLP", "neural network", "NN", "dense network", "fully connected net", "feedforward network",
        "FC network", "DNN", "neural net", "multilayer perceptron", "deep learning model", "DL model")


def dense_request(sizes: tuple[int, ...], rng: random.Random) -> str:
    """One of many phrasings naming every layer size of a dense net in order."""
    i, hidden, o = sizes[0], list(sizes[1:-1]), sizes[-1]
    k = len(hidden)
    w = rng.choice((0.0, 0.0, 0.4, 0.8))  # how often small numbers are words in this request

    def n(x: int) -> str:
        return number(x, rng, w)

    net = rng.choice(_NET)
    a_net = ("an " if net[0] in "AEIMNaeiou" and net not in ("NN",) else "a ") + net
    same = k > 1 and len(set(hidden)) == 1
    hs = join([n(h) for h in hidden], rng)
    dash = rng.choice(("-", "-", "x", " - ", ", ", "/"))
    family = rng.randrange(14)
    if family == 0:
        return f"{'-'.join(map(str, sizes))} {net}"
    if family == 1:
        return f"{net} {dash.join(map(str, sizes))}"
    if family == 2:
        return f"{a_net} with layer sizes [{', '.join(map(str, sizes))}]"
    if family == 3:
        layers = (f"{n(k)} hidden layers with {n(hidden[0])} nodes each" if same else
                  f"hidden layers of {hs}" if k > 1 else
                  f"one hidden layer of {plural(hidden[0], 'node', n(hidden[0]))}")
        return f"{a_net} with {plural(i, 'input', n(i))}, {layers}, and {plural(o, 'output', n(o))}"
    if family == 4:  # the original project's family
        hid = (f"{n(k)} hidden layers of size {n(hidden[0])}" if same else
               f"hidden layers of size {hs}" if k > 1 else f"a hidden layer of size {n(hidden[0])}")
        return f"deep learning model with {n(i)} input elements, {hid}, and output size {n(o)}"
    if family == 5:
        lines = [f"- input: {i}"] + [f"- hidden {j + 1}: {h}" for j, h in enumerate(hidden)] + \
                [f"- output: {o}"]
        head = rng.choice(("Neural net:", "MLP layers:", "Network:", "Draw this network:"))
        return head + "\n" + "\n".join(lines)
    if family == 6:
        parts = [f"input ({plural(i, 'node', n(i))})"] + \
                [f"hidden ({n(h)})" for h in hidden] + [f"output ({n(o)})"]
        return rng.choice(("", f"{net}: ")) + rng.choice((" -> ", " → ", " => ")).join(parts)
    if family == 7:
        return f"{n(i)} in, {', '.join(n(h) for h in hidden)} hidden, {n(o)} out"
    if family == 8:
        return (f"{net}; input layer {n(i)}; " + "; ".join(f"hidden {n(h)}" for h in hidden)
                + f"; output layer {n(o)}")
    if family == 9:
        layers = f"{n(k)} hidden layers ({', '.join(map(str, hidden))})" if k > 1 else \
            f"a hidden layer with {plural(hidden[0], 'neuron', n(hidden[0]))}"
        out = "a single output" if o == 1 and rng.random() < 0.5 else plural(o, "output neuron", n(o))
        return f"{a_net} taking {plural(i, 'feature', n(i))}, {layers} and {out}"
    if family == 10:
        lines = [f"{j + 1}. {name}" for j, name in enumerate(
            [f"input layer: {plural(i, 'node', n(i))}"]
            + [f"hidden layer: {plural(h, 'node', n(h))}" for h in hidden]
            + [f"output layer: {plural(o, 'node', n(o))}"])]
        return f"{net} with these layers\n" + "\n".join(lines)
    if family == 11:
        hid = (f"{n(k)} hidden layers of {n(hidden[0])}" if same else
               f"hidden layers {hs}" if k > 1 else f"hidden {n(hidden[0])}")
        return f"{net} {plural(i, 'input', n(i))}, {hid}, {plural(o, 'output', n(o))}"
    if family == 12:
        return (f"Input layer with {plural(i, 'node', n(i))}, " +
                ", ".join(f"{ORDINALS[j + 1]} hidden layer with {n(h)}" for j, h in enumerate(hidden))
                + f", output layer with {n(o)}")
    return f"{net} ({plural(i, 'input')}, hidden {', '.join(map(str, hidden))}, {plural(o, 'output')})"


# ---- CNNs -------------------------------------------------------------------------------------

def cnn_request(layers: list[tuple[str, int, int]], rng: random.Random) -> str:
    """Compact phrasings of a CNN given as (kind, size, kernel) per layer (input first)."""
    side = layers[0][1]

    def part(kind: str, size: int, kernel: int) -> str:
        if kind == "conv":
            return rng.choice((f"conv {kernel}x{kernel}", f"{kernel}x{kernel} conv",
                               f"Conv{kernel}x{kernel}"))
        if kind == "pool":
            return rng.choice((f"max pool {kernel}x{kernel}", f"{kernel}x{kernel} pooling",
                               f"maxpool {kernel}"))
        if kind == "dense":
            return rng.choice((f"dense {size}", f"FC {size}", f"fully connected {size}"))
        return rng.choice((plural(size, "output"), f"output {size}", f"softmax over {size} classes"))

    parts = [part(*layer) for layer in layers[1:]]
    family = rng.randrange(4)
    if family == 0:
        return f"CNN: {side}x{side} input -> " + " -> ".join(parts)
    if family == 1:
        return (rng.choice(("Small CNN", "ConvNet", "CNN", "Image classifier CNN"))
                + f" for {side}x{side} images\n" + "\n".join(f"- {p}" for p in parts))
    if family == 2:
        return f"convolutional net, input {side} x {side}; " + "; ".join(parts)
    return f"A CNN taking {side}x{side} pictures: " + ", ".join(parts[:-1]) + " and " + parts[-1]


# ---- flowcharts -------------------------------------------------------------------------------

_ARROWS = (" -> ", " -> ", " → ", " => ", " --> ", " > ")
_FEEDS = ("feeds", "goes to", "sends data to", "flows into", "is passed to", "feeds into",
          "outputs to", "connects to")
_FEED = ("feed", "go to", "send data to", "flow into", "are passed to", "feed into",
         "output to", "connect to")
_FLOW_HEADS = ("Pipeline", "Flow", "Workflow", "Steps", "Data flow", "Architecture", "RAG pipeline",
               "ML pipeline", "System", "Process")


def _group(names: list[str], rng: random.Random, style: int) -> str:
    if len(names) == 1:
        return names[0]
    if style == 0:
        return "(" + ", ".join(names) + ")"
    if style == 1:
        return " + ".join(names)
    if style == 2:
        return "[" + " | ".join(names) + "]"
    return join(names)


def flow_request(names: list[str], ranks: list[list[int]], loop: tuple[int, int] | None,
                 rng: random.Random) -> str:
    """A request for consecutive ranks fully connected (plus an optional back edge `loop`).

    `names[i]` is how the request spells step i; ranks list step ids in flow order.
    """
    groups = [[names[i] for i in rank] for rank in ranks]
    single = all(len(g) == 1 for g in groups)
    loop_text = ""
    if loop is not None:
        src, dst = names[loop[0]], names[loop[1]]
        loop_text = rng.choice((f", and {src} loops back to {dst}", f"; {src} feeds back into {dst}",
                                f" (then back to {dst})", f", with a loop from {src} back to {dst}",
                                f"; {src} -> {dst} (loop)"))
    family = rng.randrange(9)
    head = rng.choice(_FLOW_HEADS)
    if family in (0, 1):  # arrow chain
        style = rng.randrange(4)
        arrow = rng.choice(_ARROWS)
        body = arrow.join(_group(g, rng, style) for g in groups)
        lead = rng.choice(("", "", f"{head}: ", f"{head.lower()}: "))
        if loop is not None and loop[0] == len(names) - 1 and rng.random() < 0.4:
            return lead + body + arrow + names[loop[1]] + rng.choice((" (loop)", " again", ""))
        return lead + body + loop_text
    if family == 2:  # bullets / numbered
        bullet = rng.choice(("- ", "* ", "• ", "{n}. ", "{n}) ", "Step {n}: "))
        lines = []
        for j, g in enumerate(groups):
            item = join(g) + (" (in parallel)" if len(g) > 1 and rng.random() < 0.5 else "")
            lines.append(bullet.format(n=j + 1) + item)
        end = "\n" + loop_text.lstrip(",; ").capitalize() if loop_text else ""
        return rng.choice((f"{head}:", f"{head} with these steps:", f"{head} steps")) + "\n" \
            + "\n".join(lines) + end
    if family == 3:  # semicolons / feeds
        parts = []
        for g, nxt in zip(groups, groups[1:]):
            verb = rng.choice(_FEEDS if len(g) == 1 else _FEED)
            parts.append(f"{join(g)} {verb} {join(nxt)}")
        sep = rng.choice(("; ", ". ", ", "))
        text = sep.join(parts) if parts else groups[0][0]
        return text + loop_text
    if family == 4:  # first ... then ... finally
        steps = [join(g) for g in groups]
        if len(steps) == 1:
            return f"{head}: {steps[0]}{loop_text}"
        middle = "".join(f", then {s}" for s in steps[1:-1])
        return f"{rng.choice(('First', 'Start with', 'Begin with'))} {steps[0]}{middle}, " \
               f"{rng.choice(('finally', 'and finally', 'and then', 'ending in'))} {steps[-1]}{loop_text}"
    if family == 5:  # the original project's family
        steps = [join(g) for g in groups]
        if len(steps) >= 3 and len(groups[1]) == 1:
            rest = "".join(f", and then {s}" for s in steps[3:])
            return (f"process that consists of first, {steps[1]} that, with {steps[0]} as input, "
                    f"and {steps[2]} as output{rest}{loop_text}")
        return "process that consists of first, " + ", and then ".join(steps) + loop_text
    if family == 6:  # "X feeds Y and Z, which ..."
        text = join(groups[0])
        for j, g in enumerate(groups[1:]):
            verb = rng.choice(_FEEDS if len(groups[j]) == 1 else _FEED)
            conn = "" if j == 0 else rng.choice((", which ", ", and that ", "; it ")) if len(groups[j]) == 1 \
                else rng.choice((", and both ", ", and they ", "; these "))
            text += (" " if j == 0 else conn) + (verb + " " if j == 0 else _verb_for(len(groups[j]), rng) + " ") + join(g)
        return text + loop_text
    if family == 7 and single:  # parenthesised list
        return f"{head} ({', '.join(g[0] for g in groups)}){loop_text}"
    # "from A to B via C, D"
    steps = [_group(g, rng, 3) for g in groups]
    if len(steps) >= 3 and single:
        return f"{head.lower()} from {steps[0]} to {steps[-1]} via {', '.join(steps[1:-1])}" \
               f"{' (in that order)' if rng.random() < 0.3 else ''}{loop_text}"
    if len(steps) == 2:
        return f"{steps[0]} to {steps[-1]}{loop_text}"
    return " -> ".join(_group(g, rng, 0) for g in groups) + loop_text


def _verb_for(count: int, rng: random.Random) -> str:
    return rng.choice(_FEEDS if count == 1 else _FEED)
