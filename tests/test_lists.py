"""Each list stated once: the task names come from the definitions (tasks/*.yaml), the per-query metrics from
formats/per_query.py; every other module derives its list. Expected values are written out by hand here."""

from __future__ import annotations

import argparse

from mteb_hybrid.data.definitions import (
    data_folders,
    definition_of_task,
    get_definition,
    load_definitions,
    task_name,
    task_names,
)

FOUR = ("XQuADRRetrieval", "MLQARRetrieval", "XQuADRSentenceRetrieval", "MLQARSentenceRetrieval")


def test_task_names_are_every_task_class_in_the_papers_order() -> None:
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    assert task_names() == FOUR
    assert set(task_names()) == set(TASK_CLASSES)
    assert task_names(("sentence+context",)) == ("XQuADRRetrieval", "MLQARRetrieval")
    assert data_folders() == ("xquad-r", "mlqa-r")
    for name, cls in TASK_CLASSES.items():
        assert definition_of_task(name) == cls.definition
        assert task_name(cls.definition, cls.candidate_form) == name
    assert definition_of_task("XQuADRetrieval") is None  # mteb's, one letter away


def test_a_new_definition_names_its_tasks_by_the_same_rule() -> None:
    new = get_definition("mlqa-r").model_copy(update={"name": "TyDiQARRetrieval", "folder": "tydiqa-r"})
    assert task_name(new) == "TyDiQARRetrieval"
    assert task_name(new, "sentence") == "TyDiQARSentenceRetrieval"


def test_modules_derive_the_task_list() -> None:
    from mteb_hybrid.models.hub import OFFLINE_TASKS, hub_task_message
    from mteb_hybrid.reporting.submit_checks import PLUGIN_TASKS
    from mteb_hybrid.upstream.compact import COMPACT_NAMES
    from mteb_hybrid.upstream.export import COMPACT_DEFAULT, TASKS

    assert OFFLINE_TASKS == PLUGIN_TASKS == TASKS == FOUR
    assert COMPACT_DEFAULT == ("XQuADRRetrieval", "MLQARRetrieval")
    assert COMPACT_NAMES == {
        "XQuADRRetrieval": "LAReQAXQuADRetrieval",
        "XQuADRSentenceRetrieval": "LAReQAXQuADSentenceRetrieval",
        "MLQARRetrieval": "LAReQAMLQARetrieval",
        "MLQARSentenceRetrieval": "LAReQAMLQASentenceRetrieval",
    }
    message = hub_task_message(["BelebeleRetrieval"])
    assert f"local files: {', '.join(FOUR)} (set" in message
    assert "PATH holding xquad-r/ and mlqa-r/)." in message


def test_export_help_names_the_default_tasks() -> None:
    from mteb_hybrid.upstream.cli import add_export_arguments

    parser = argparse.ArgumentParser()
    add_export_arguments(parser)
    help_text = next(a.help for a in parser._actions if a.dest == "tasks")
    assert help_text == (
        "plugin tasks (default: XQuADRRetrieval MLQARRetrieval XQuADRSentenceRetrieval MLQARSentenceRetrieval; "
        "with --compact: XQuADRRetrieval MLQARRetrieval)"
    )


def test_paper_dataset_of_a_task() -> None:
    from mteb_hybrid.reporting.claims import paper_dataset
    from mteb_hybrid.reporting.paper import paper_numbers

    assert paper_dataset("XQuADRRetrieval") == paper_dataset("XQuADRSentenceRetrieval") == "XQuAD-R"
    assert paper_dataset("MLQARRetrieval") == paper_dataset("MLQARSentenceRetrieval") == "MLQA-R"
    assert paper_dataset("XQuADRQuickEnDeThSentenceRetrieval") == "XQuAD-R"  # quickstart's narrowed task
    assert paper_dataset("BelebeleRetrieval") is None
    folders = {d.folder for d in load_definitions().values()}
    assert {name.lower() for name in paper_numbers().map.values} <= folders  # each paper dataset is one of ours


def test_metric_lists_come_from_one_table() -> None:
    from mteb_hybrid.formats import per_query as rec
    from mteb_hybrid.reporting import summary
    from mteb_hybrid.stats.verdicts import DEFAULT_MARGINS
    from mteb_hybrid.upstream.results import PLUGIN_ONLY_SCORES

    assert rec.METRICS == ("map", "ndcg_at_10", "mrr_at_10", "rank_distance", "same_language_at_10")
    assert rec.SCHEMA.names == ["split", "subset", "query_id", "parallel_id", *rec.METRICS]
    assert rec.POOL_METRICS == summary.POOL_METRICS == ("rank_distance", "same_language_at_10")
    assert DEFAULT_MARGINS == {
        "map": 0.01,
        "ndcg_at_10": 0.01,
        "mrr_at_10": 0.01,
        "rank_distance": 20.0,
        "same_language_at_10": 0.01,
    }
    assert PLUGIN_ONLY_SCORES == {"map", "rank_distance", "same_language_at_10", "skipped_questions"}
