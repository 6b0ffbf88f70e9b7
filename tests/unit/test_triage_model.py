"""The routing model on a slice of the real Teddy Cup data, its file format and the facade."""

from __future__ import annotations

import csv
import os
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from complaintdesk.triage.facade import FakeTriage, ModelTriage, TriageResult
from complaintdesk.triage.metrics import cross_validate, score
from complaintdesk.triage.model import RoutingModel, TrainConfig, TrainingDataError
from complaintdesk.triage.scope import ComplaintCategory
from complaintdesk.triage.text import normalise, tokenise

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("COMPLAINTDESK_DATA_DIR", REPO.parent / "shared" / "data"))
RAW = DATA_DIR / "teddycup2020c" / "fj2_raw_subset_2763.csv"
FAST = TrainConfig(calibration_folds=2, max_char_features=40_000, max_word_features=20_000)


def _load_raw() -> tuple[list[str], list[str]]:
    if not RAW.is_file():
        pytest.skip(f"real data not found at {RAW} (set COMPLAINTDESK_DATA_DIR)")
    with RAW.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["一级标签"] for r in rows]


@pytest.fixture(scope="module")
def split() -> tuple[list[str], list[str], list[str], list[str]]:
    texts, labels = _load_raw()
    order = list(range(len(texts)))
    random.Random(7).shuffle(order)
    train, test = order[:500], order[500:800]
    return (
        [texts[i] for i in train],
        [labels[i] for i in train],
        [texts[i] for i in test],
        [labels[i] for i in test],
    )


@pytest.fixture(scope="module")
def model(split: tuple[list[str], list[str], list[str], list[str]]) -> RoutingModel:
    return RoutingModel.train(split[0], split[1], FAST)


def test_normalise_strips_scraped_padding_and_full_width_spaces() -> None:
    assert normalise("\n\t\t\t标题\u3000内容\n\t\t Hello  World") == "标题内容 hello world"
    assert normalise("市 西湖 建筑 集团") == "市西湖建筑集团"


def test_tokenise_handles_chinese_and_english() -> None:
    assert tokenise(normalise("小区噪音扰民 noisy neighbours")).split() == [
        "小区",
        "噪音",
        "扰民",
        "noisy",
        "neighbours",
    ]


def test_it_predicts_held_out_rows_far_better_than_chance(
    model: RoutingModel, split: tuple[list[str], list[str], list[str], list[str]]
) -> None:
    _, _, texts, labels = split
    predictions = model.predict(texts)
    result = score(
        labels, [p.label for p in predictions], [[t[0] for t in p.top] for p in predictions]
    )
    majority = Counter(labels).most_common(1)[0][1] / len(labels)
    assert result["accuracy"] > majority + 0.4  # chance is ~0.22 on these 7 classes
    assert result["macro_f1"] > 0.7
    assert result["top3_accuracy"] >= result["accuracy"]


def test_confidences_are_probabilities_in_descending_order(
    model: RoutingModel, split: tuple[list[str], list[str], list[str], list[str]]
) -> None:
    proba = model.predict_proba(split[2][:20])
    assert proba.shape == (20, len(model.labels))
    assert abs(proba.sum(axis=1) - 1).max() < 1e-5
    top = model.predict(split[2][:1], k=3)[0].top
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
    assert model.temperature > 0


def test_save_and_load_round_trip_gives_the_same_predictions(
    model: RoutingModel, split: tuple[list[str], list[str], list[str], list[str]], tmp_path: Path
) -> None:
    path = tmp_path / "routing.joblib"
    size = model.save(path)
    assert 0 < size < 50e6
    loaded = RoutingModel.load(path)
    texts = split[2][:30]
    assert [p.top for p in loaded.predict(texts)] == [p.top for p in model.predict(texts)]
    meta = loaded.metadata
    assert meta["format_version"] == 2 and meta["labels"] == sorted(set(split[1]))
    assert meta["data_hash"].startswith("sha256:") and meta["created_at"]
    assert 0 < meta["metrics"]["oof_macro_f1"] <= 1


def test_loading_something_else_is_refused(tmp_path: Path) -> None:
    import joblib

    from complaintdesk.triage.model import file_sha256

    path = tmp_path / "other.joblib"
    joblib.dump({"format": "nope"}, path)
    (tmp_path / "other.joblib.sha256").write_text(f"{file_sha256(path)}  other.joblib\n")
    with pytest.raises(ValueError, match="not a complaintdesk routing model"):
        RoutingModel.load(path)


def test_a_single_class_cannot_be_trained() -> None:
    with pytest.raises(TrainingDataError):
        RoutingModel.train(["a", "b"], ["x", "x"])


def test_rare_classes_do_not_break_training_or_cv() -> None:
    texts, labels = _load_raw()
    texts, labels = texts[:80], labels[:80]
    texts += ["高速公路收费站乱收费", "港口码头装卸费"]
    labels += ["交通港口", "港口航运"]  # one row each, fewer than the folds
    model = RoutingModel.train(texts, labels, FAST)
    assert "港口航运" in model.labels
    result = cross_validate(texts, labels, folds=3, config=FAST)
    assert result["rare_classes"] == ["交通港口", "港口航运"]
    assert 0 < result["macro_f1"] <= 1 and result["train_seconds"] > 0


def test_model_triage_returns_routing_scope_importance_and_entities(model: RoutingModel) -> None:
    triage = ModelTriage(model, threshold=0.6)
    result = triage.suggest(
        "学校违规补课收费", "A市某中学老师周末强制补课，每人收费2000元，电话13812345678"
    )
    assert isinstance(result, TriageResult)
    shown = result.to_dict()
    assert len(shown["routing"]) == 3
    assert shown["routing"][0]["label"] == "教育文体"
    assert shown["needs_dispatcher"] == (shown["routing"][0]["confidence"] < 0.6)
    assert shown["scope"]["category"] in {c.value for c in ComplaintCategory}
    assert shown["importance"]["level"] in {"ordinary", "important"}
    assert shown["entities"]["phones"] == ["138****5678"]


def test_without_a_model_routing_is_empty_and_a_dispatcher_decides(tmp_path: Path) -> None:
    for triage in (ModelTriage.from_path(None), ModelTriage.from_path(tmp_path / "missing.joblib")):
        result = triage.suggest("标题", "科长态度恶劣")
        assert result.routing == () and result.needs_dispatcher
        assert result.to_dict()["scope"]["category"] == "rude_conduct"


def test_a_threshold_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(ValueError):
        ModelTriage(None, threshold=1.5)


def test_the_fake_is_deterministic() -> None:
    fake = FakeTriage({"噪音": "环境保护"}, confidence=0.5)
    first = fake.suggest("噪音", "工地夜间施工噪音").to_dict()
    assert first == fake.suggest("噪音", "工地夜间施工噪音").to_dict()
    assert first["routing"] == [{"label": "环境保护", "confidence": 0.5}]
    assert first["needs_dispatcher"] is True


def test_the_features_equal_sklearns_tfidf_with_the_same_vocabulary(model: RoutingModel) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [
        normalise(t)
        for t in ["小区噪音扰民 noisy", "学校收费\t学校", "", "未知字符ǂ", "ǂ学校ǂǂ收费"]
    ]
    for ours in (model.char_vectorizer, model.word_vectorizer):
        theirs = TfidfVectorizer(
            analyzer=ours.kind,
            token_pattern=r"(?u)\S+" if ours.kind == "word" else None,
            lowercase=False,
            ngram_range=ours.ngram_range,
            sublinear_tf=True,
            vocabulary=ours.vocabulary,
        )
        theirs.fit(docs)
        theirs.idf_ = ours.idf
        assert abs(ours.transform(docs) - theirs.transform(docs)).max() < 1e-6


def test_max_features_keeps_the_most_frequent_terms() -> None:
    from complaintdesk.triage.features import NgramTfidf

    vec = NgramTfidf("word", (1, 1), min_df=1, max_features=2).fit(["a a a b b c", "a b d"])
    assert sorted(vec.vocabulary) == ["a", "b"]
    chars = NgramTfidf("char", (1, 2), min_df=2).fit(["abc", "abd"]).vocabulary
    assert sorted(chars) == ["a", "ab", "b"]
    assert sorted(chars.values()) == [0, 1, 2]


def test_a_batch_spanning_several_chunks_gives_the_same_rows_as_one_document_at_a_time(
    model: RoutingModel,
    split: tuple[list[str], list[str], list[str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from complaintdesk.triage import features

    docs = [normalise(t) for t in split[2][:7]]
    one_by_one = [model.char_vectorizer.transform([d]).toarray() for d in docs]
    monkeypatch.setattr(features, "_CHUNK_ROWS", 3)
    batched = model.char_vectorizer.transform(docs).toarray()
    assert abs(batched - np.vstack(one_by_one)).max() < 1e-6


def test_a_featuriser_saved_as_a_vocabulary_dict_loads_with_the_same_features(
    model: RoutingModel,
) -> None:
    """Model files of format 1 pickled the term -> column dict; they still load and agree."""
    from complaintdesk.triage.features import NgramTfidf

    current = model.word_vectorizer
    terms = list(current.vocabulary)
    reversed_columns = {t: len(terms) - 1 - i for i, t in enumerate(terms)}
    old = NgramTfidf.__new__(NgramTfidf)
    old.__setstate__(
        {
            "kind": "word",
            "ngram_range": current.ngram_range,
            "min_df": current.min_df,
            "max_features": current.max_features,
            "vocabulary": reversed_columns,
            "idf": current.idf[::-1].copy(),
        }
    )
    docs = [tokenise(normalise(t)) for t in ["学校违规补课收费", "小区噪音扰民 noisy", ""]]
    assert abs(old.transform(docs) - current.transform(docs)).max() < 1e-6


def test_a_model_file_swapped_after_training_is_refused_before_unpickling(
    model: RoutingModel, tmp_path: Path
) -> None:
    import joblib

    path = tmp_path / "routing.joblib"
    model.save(path)
    assert (tmp_path / "routing.joblib.sha256").read_text().split()[1] == "routing.joblib"
    # Someone who can write the file but not the digest swaps in a pickle of their own.
    joblib.dump({"format": "nope", "payload": "anything"}, path)
    with pytest.raises(ValueError, match="does not match its recorded SHA-256"):
        RoutingModel.load(path)
    # A file without a digest is refused with the way to fix it; a pinned digest wins.
    (tmp_path / "routing.joblib.sha256").unlink()
    with pytest.raises(ValueError, match=r"sha256sum routing\.joblib"):
        RoutingModel.load(path)
    model.save(path)
    with pytest.raises(ValueError, match="does not match"):
        RoutingModel.load(path, expected_sha256="0" * 64)
    assert ModelTriage.from_path(path, expected_sha256="0" * 64).model is None
