"""Loading the CSV data files: the original's index column, strings kept as-is, errors that point."""

import pytest

from trainer.core.datasets_io import DataFileError, load_prompt_pool, load_sft_csv

ANSWER = ("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), [1]]\n"
          "[1, 300, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]")
INFO = '{"task_name": "dl_model", "shape_types": ["input", "output"], "shape_sizes": [1, 1]}'


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def sft_line(*fields: str) -> str:
    return ",".join(quoted(f) for f in fields) + "\n"


@pytest.mark.parametrize("index_header", ["", "Unnamed: 0"])
def test_original_shape_with_index_column_loads(tmp_path, index_header):
    # pandas' to_csv(index=True) in the original project wrote an unnamed first column
    path = tmp_path / "sft.csv"
    path.write_text(f"{index_header},input_data,output_data,dest_shape_info\n"
                    f"0,{quoted('Represent below')},{quoted(ANSWER)},{quoted(INFO)}\n"
                    f"1,{quoted('NA')},{quoted(ANSWER)},\n")
    df = load_sft_csv(path)
    assert list(df.columns) == ["input_data", "output_data", "dest_shape_info"]
    assert df["output_data"][0] == ANSWER  # multi-line field intact
    assert df["input_data"][1] == "NA" and df["dest_shape_info"][1] == ""  # never NaN


def test_extra_columns_are_kept(tmp_path):
    path = tmp_path / "sft.csv"
    path.write_text("input_data,output_data,dest_shape_info,note\n"
                    + sft_line("req", ANSWER, INFO, "hello"))
    assert load_sft_csv(path)["note"].tolist() == ["hello"]


HEADER = "input_data,output_data,dest_shape_info\n"
GOOD = sft_line("req", ANSWER, INFO)  # two file lines (the answer spans two)


@pytest.mark.parametrize("body, row, line, message", [
    (GOOD + sft_line("req", "", INFO), 2, 4, "empty output_data"),
    (GOOD + GOOD + sft_line("  ", ANSWER, INFO), 3, 6, "empty input_data"),
    (GOOD + '"req","ans"\n', 2, 4, "expected 3 fields, found 2"),
    (GOOD + '"req","ans","info","extra"\n', 2, 4, "expected 3 fields, found 4"),
    (GOOD + '"req","unterminated answer,"x"\n', 2, 4, "broken CSV quoting"),
    (GOOD + '"req" junk,"a","b"\n', 2, 4, "broken CSV quoting"),
    (GOOD + '"req","ans","never closed\n' + GOOD, 2, 4, "broken CSV quoting"),
])
def test_malformed_rows_name_row_and_file_line(tmp_path, body, row, line, message):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body)
    with pytest.raises(DataFileError, match=message) as info:
        load_sft_csv(path)
    assert (info.value.row, info.value.line) == (row, line)
    assert f"row {row} (file line {line})" in str(info.value)


@pytest.mark.parametrize("text, message", [
    ("input_data,output_data\n" + sft_line("a", "b"), "missing column.*dest_shape_info"),
    ("", "empty"),
])
def test_missing_columns_or_empty_file(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=message):
        load_sft_csv(path)


def test_missing_file_is_a_data_file_error(tmp_path):
    with pytest.raises(DataFileError, match="cannot open"):
        load_sft_csv(tmp_path / "nope.csv")


POOL_HEADER = "prompt_id,category,split,request,prompt,reference,dest_shape_info\n"


def pool_line(pid: str, category: str, split: str) -> str:
    return sft_line(pid, category, split, "req " + pid, "prompt " + pid, ANSWER, INFO)


def test_prompt_pool_split_filter(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text(POOL_HEADER + pool_line("p0", "dl_model", "label")
                    + pool_line("p1", "other", "heldout") + pool_line("p2", "other", "label"))
    assert load_prompt_pool(path)["prompt_id"].tolist() == ["p0", "p1", "p2"]
    assert load_prompt_pool(path, split="label")["prompt_id"].tolist() == ["p0", "p2"]
    heldout = load_prompt_pool(path, split="heldout")
    assert heldout["prompt_id"].tolist() == ["p1"] and heldout.index.tolist() == [0]
    with pytest.raises(ValueError, match="split"):
        load_prompt_pool(path, split="train")


@pytest.mark.parametrize("category, split, message", [
    ("dl_model", "train", "split must be one of"),
    ("tree", "label", "category must be one of"),
])
def test_prompt_pool_rejects_unknown_values(tmp_path, category, split, message):
    path = tmp_path / "pool.csv"
    path.write_text(POOL_HEADER + pool_line("p0", "dl_model", "label")
                    + pool_line("p1", category, split))
    with pytest.raises(DataFileError, match=message) as info:
        load_prompt_pool(path)
    assert (info.value.row, info.value.line) == (2, 4)
