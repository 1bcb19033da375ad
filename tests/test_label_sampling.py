"""The Label tab's sampling settings as one value: `Sampling` built from the controls, checked in
one place, recorded and read back; `label_tab._sampled` hands it whole to the handlers while the
HTTP API keeps its positional parameters (`/next(k, temperature, top_p, selection, annotator)`).
No model, no browser, no server.
"""

from __future__ import annotations

import inspect
from dataclasses import fields
from types import SimpleNamespace

import pytest

from labeler import labeling as L
from labeler.app import build_app
from labeler.common import UserError
from labeler.label_tab import _sampled
from testing.fakes import make_context

CTX = SimpleNamespace(selection="plain", oversample=1.5)  # what _sampled reads of the app context


def test_controls_become_one_value_and_keep_the_rest():
    base = L.Sampling(selection="active", oversample=1.5, seed=7)
    s = base.with_controls(5, 0.7, 0.9, "plain")
    assert s == L.Sampling(k=5, temperature=0.7, top_p=0.9, selection="plain", oversample=1.5, seed=7)
    with pytest.raises(TypeError, match="k, temperature, top_p, selection"):
        base.with_controls(5, 0.7)
    assert set(L.Sampling.CONTROLS) <= {f.name for f in fields(L.Sampling)}
    assert set(L.Sampling.RECORDED) <= {f.name for f in fields(L.Sampling)}


def test_checked_normalises_what_it_accepts_and_names_what_it_refuses():
    s = L.Sampling(k=4.0, temperature="0.5", top_p=1, selection=" Plain ").checked()
    assert (s.k, s.temperature, s.top_p, s.selection) == (4, 0.5, 1.0, "plain")
    assert type(s.k) is int and s.m == 4  # the normalised selection decides M
    assert L.check_sampling(L.Sampling(k=3)) == L.Sampling(k=3).checked()
    for bad, words in [(dict(k=7), "K must be"), (dict(top_p=0), "Top-p"),
                       (dict(selection="best"), "Candidates must be one of active, plain")]:
        with pytest.raises(UserError, match=words):
            L.Sampling(**bad).checked()


def test_a_record_reads_back_as_the_settings_it_kept():
    s = L.Sampling(k=5, temperature=0.6, top_p=0.9, seed=11, selection="plain")
    record = s.record()
    assert list(record) == ["k", "temperature", "top_p", "seed"]  # the JSON column keeps its order
    back = L.Sampling.from_record({**record, "selection": "active 8->4"}, k=3)
    assert (back.k, back.temperature, back.top_p, back.seed) == (3, 0.6, 0.9, 11)
    assert L.Sampling.from_record({"temperature": "0.5", "top_p": None}, k=2) == \
        L.Sampling(k=2, temperature=0.5)  # old rows: strings and nulls as before (defaults)


def test_sampled_handlers_take_the_controls_positionally_and_get_one_value():
    got = []

    @_sampled(CTX)
    def plain(state, annotator, sampling: L.Sampling, request=None):
        got.append((state, annotator, sampling, request))
        return "done"

    @_sampled(CTX)
    def streaming(state, sampling: L.Sampling, annotator=None, plan=""):
        yield sampling
        yield (annotator, plan)

    assert list(inspect.signature(plain).parameters) == [
        "state", "annotator", *L.Sampling.CONTROLS, "request"]
    assert list(inspect.signature(streaming).parameters) == [
        "state", *L.Sampling.CONTROLS, "annotator", "plan"]
    defaults = {p.name: p.default for p in inspect.signature(streaming).parameters.values()}
    assert (defaults["k"], defaults["selection"]) == (4, "plain")  # the app's --selection
    assert plain("s", "ana", 3, 0.5, 0.9, "active", request="r") == "done"
    assert got == [("s", "ana", L.Sampling(k=3, temperature=0.5, top_p=0.9, selection="active",
                                           oversample=1.5), "r")]
    assert inspect.isgeneratorfunction(streaming) and not inspect.isgeneratorfunction(plain)
    first, rest = list(streaming("s", 6, 0.8, 0.95, annotator="bo", plan="# layers 2-1"))
    assert first == L.Sampling(k=6, selection="plain", oversample=1.5)
    assert rest == ("bo", "# layers 2-1")
    assert list(streaming("s"))[0] == L.Sampling(selection="plain", oversample=1.5)


def test_the_http_api_keeps_its_positional_sampling_parameters(tmp_path):
    from gradio import utils

    ctx = make_context(tmp_path)
    try:
        demo = build_app(ctx, prefetch=False)
        info = demo.get_api_info()["named_endpoints"]
        wrapped = {fn.api_name: fn.fn for fn in demo.fns.values() if fn.api_name in ("next", "skip")}
    finally:
        ctx.close()
    for fn in wrapped.values():  # the gr.Request is still Gradio's to fill in (the login under --auth)
        names = [p.name for p in utils.get_positional_parameters(fn)]
        inputs = [p.name for p in utils.get_positional_input_parameters(fn)]
        assert {"req", "request"} & set(names) and not {"req", "request"} & set(inputs)
    knobs = list(L.Sampling.CONTROLS)
    assert knobs == ["k", "temperature", "top_p", "selection"]

    def names(endpoint):
        return [p["parameter_name"] for p in info[endpoint]["parameters"]]
    assert names("/next") == names("/regenerate") == [*knobs, "annotator"]
    assert names("/custom") == ["request", "category", *knobs, "annotator", "plan", "plan_note"]
    for reason in L.SKIP_REASONS:
        assert names(f"/{reason}") == ["annotator", *knobs]
    defaults = {p["parameter_name"]: p["parameter_default"] for p in info["/next"]["parameters"]}
    assert defaults == {"k": 4, "temperature": 0.8, "top_p": 0.95, "selection": "active",
                        "annotator": None}
