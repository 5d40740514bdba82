"""The report document: tables of condition x task x language, from the runs listed in params,
the answer to the research question, robustness tables and plots (written by the `report`
stage).

The list of runs comes from params (never a glob of the output folders, which may hold stale
runs from a larger grid). Cells are mean ± standard deviation over seeds.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd

from xstilts import paths
from xstilts.config import MLM_TASK, Params
from xstilts.data.prepared import read_split, target_languages
from xstilts.examples import example_texts
from xstilts.io import read_json
from xstilts.modeling.meta import read_meta
from xstilts.report.answer import (
    detectable,
    drop_comparisons,
    power_summary,
    sentence,
    verdict,
)
from xstilts.report.generalized import generalized_lines, split_variants
from xstilts.report.markdown import table
from xstilts.report.per_example import listed_run, load_frame
from xstilts.report.plots import write_plots
from xstilts.report.retrieval import retrieval_section
from xstilts.report.robustness import (
    attack_summary,
    family_table,
    has_robustness,
    language_table,
    not_applicable,
    not_applicable_lines,
)
from xstilts.report.scores import (
    chance_level,
    chance_varies,
    clean_scores,
    is_span,
    metric_label,
)
from xstilts.report.spans import span_lines, span_tasks
from xstilts.report.tagging import tagging_lines, tagging_tasks
from xstilts.report.transfer import AtChance, at_chance, transfer_cells, transfer_section


def _mean_std(values: list[float]) -> tuple[float, float]:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def _cell(values: list[float]) -> str:
    mean, std = _mean_std(values)
    return f"{100 * mean:.1f}" + (f" ± {100 * std:.1f}" if len(values) > 1 else "")


def collect(params: Params, root: Path) -> dict[str, dict[str, list[dict]]]:
    """task -> condition -> one metrics dict per seed."""
    runs: dict[str, dict[str, list[dict]]] = {}
    for task in params.targets:
        for condition in params.conditions_for(task):
            runs.setdefault(task, {})[condition] = [
                read_json(listed_run(root / paths.eval_metrics(condition, task, seed)))
                for seed in params.seeds
            ]
    return runs


def summarize(params: Params, runs: dict[str, dict[str, list[dict]]]) -> dict:
    summary: dict = {}
    for task, by_condition in runs.items():
        for condition, seeds in by_condition.items():
            entry = {
                lang: _mean_std([clean_scores(m)[lang] for m in seeds])[0]
                for lang in target_languages(params, task)
            }
            entry["dev_en"] = _mean_std([m["dev_en"] for m in seeds])[0]
            zero_shot = [m["mean_zero_shot"] for m in seeds if m["mean_zero_shot"] is not None]
            if zero_shot:
                entry["mean_zero_shot"] = _mean_std(zero_shot)[0]
            summary.setdefault(task, {})[condition] = entry
    return summary


def target_tables(params: Params, runs: dict[str, dict[str, list[dict]]]) -> list[str]:
    """Per task, the clean score of each condition and language in the task's metric; a tagging
    target also gets its no-skill level per language and its sentence exact match."""
    lines = []
    for task, by_condition in runs.items():
        langs = list(target_languages(params, task))
        first = next(iter(by_condition.values()))[0]
        rows = [
            [
                condition,
                _cell([m["dev_en"] for m in seeds]),
                *[_cell([clean_scores(m)[lang] for m in seeds]) for lang in langs],
                _cell([m["mean_zero_shot"] for m in seeds])
                if seeds[0]["mean_zero_shot"] is not None
                else "-",
            ]
            for condition, seeds in by_condition.items()
        ]
        if chance_varies(first):
            no_skill = [f"{100 * chance_level(first, lang):.1f}" for lang in langs]
            rows.insert(0, ["no-skill level", "-", *no_skill, "-"])
            title = f"### {task} ({metric_label(first)} %)"
        elif is_span(first):
            title = f"### {task} (answer F1 %, no-skill level 0)"
        else:
            title = f"### {task} (accuracy %, chance {100 * chance_level(first, 'en'):.1f})"
        lines += [
            title,
            "",
            *table(["condition", "en dev", *langs, "zero-shot mean"], rows),
            "",
            *exact_match_table(task, by_condition, langs),
        ]
    return lines


def exact_match_table(
    task: str, by_condition: dict[str, list[dict]], langs: list[str]
) -> list[str]:
    """A tagging target's share of test sentences with every tag right, the per-example outcome
    its paired statistics compare, or a QA target's exact match; nothing for a classification
    target."""
    first = next(iter(by_condition.values()))[0]
    if "exact_match" not in first:
        return []
    rows = [
        [condition, *[_cell([m["exact_match"][lang] for m in seeds]) for lang in langs]]
        for condition, seeds in by_condition.items()
    ]
    what = (
        "exact match %, next to its F1"
        if is_span(first)
        else "sentence exact match %, the unit of its paired statistics"
    )
    return [
        f"### {task} ({what})",
        "",
        *table(["condition", *langs], rows),
        "",
    ]


def _rsda_line(params: Params) -> list[str]:
    """What the RS-DA conditions are, when the run has some."""
    rsda = params.rsda
    if not rsda.conditions:
        return []
    copies = ", ".join(f"{rsda.copies[t]} for {t}" for t in rsda.tasks)
    return [
        f"`<condition>+rsda`: the condition's intermediate model, then English target training "
        f"with randomized smoothing by data augmentation (Huang et al. 2021) on "
        f"{', '.join(rsda.tasks)}: each training example replaced by perturbed copies "
        f"({copies}), words swapped for {rsda.neighbours} neighbours."
    ]


# the masked LM's dev score is no English accuracy: say what it is (and that it picks nothing)
MLM_ROW = f"{MLM_TASK} (masked-token accuracy, every language; not used for selection)"


def _mlm_lines(params: Params, root: Path) -> list[str]:
    """What a condition that lists `mlm` adds, from its intermediate run's own record."""
    lines = []
    for condition in params.mlm_conditions:
        meta = read_meta(root / paths.intermediate_dir(condition, params.seeds[0]))
        labelled = [t for t in params.conditions[condition] if t != MLM_TASK]
        lines.append(
            f"`{condition}`: {', '.join(labelled) or 'no labelled task'} mixed with "
            f"multilingual masked LM (Phang et al. 2020) on "
            f"{meta['train_examples'][MLM_TASK]:,} corpus lines of every evaluated language, "
            f"drawn for {meta['sampling_probabilities'][MLM_TASK]:.0%} of the steps; the "
            f"checkpoint is chosen on the labelled tasks' English dev."
        )
    return lines


def intermediate_table(params: Params, root: Path) -> list[str]:
    rows = []
    for condition, tasks in params.conditions.items():
        if not tasks:
            continue
        metas = [read_meta(root / paths.intermediate_dir(condition, s)) for s in params.seeds]
        for task in tasks:
            stuck = sum(task in m.get("at_chance", []) for m in metas)
            flag = f" (at chance in {stuck}/{len(metas)} seeds)" if stuck else ""
            name = MLM_ROW if task == MLM_TASK else task
            rows.append([condition, name, _cell([m["dev"][task] for m in metas]) + flag])
    return table(["condition", "task", "English dev accuracy %"], rows)


def build_report(params: Params, root: Path, plots_dir: Path) -> tuple[list[str], dict]:
    """The report's Markdown lines and its summary; writes the plots into `plots_dir`."""
    runs = collect(params, root)
    summary = summarize(params, runs)
    cells = transfer_cells(runs, params.robustness.alpha)
    answer: list[str] = []
    details: list[str] = []
    if has_robustness(runs):
        frame = load_frame(params, root)
        answer, details, summary["robustness"] = robustness_section(
            params, root, runs, frame, at_chance(cells)
        )
        widths = {name: a.beam_width for name, a in params.robustness.attacks.items()}
        written = write_plots(runs, plots_dir, widths)
        images = [p for p in written if p.suffix == ".png"]
        details += [
            "## Plots",
            "",
            *[f"![{p.stem}](plots/{p.name})" for p in images],
            "",
            budget_curve_note(params),
            "",
        ]
    transfer = transfer_section(cells, params.robustness.alpha, len(params.seeds))
    retrieval: list[str] = []
    if params.retrieval.tasks:
        retrieval, summary["retrieval"] = retrieval_section(params, root, comparison_table)
    tables = [
        "## Intermediate tasks (English dev)",
        "",
        *intermediate_table(params, root),
        "",
        "## Target tasks: clean zero-shot scores by language",
        "",
        *target_tables(params, runs),
        *details,
        *retrieval,
    ]
    lines = report_lines(
        params,
        transfer,
        answer,
        tables,
        tagging_lines(runs) + span_lines(runs),
        _mlm_lines(params, root),
    )
    return lines, summary


def report_lines(
    params: Params,
    transfer: list[str],
    answer: list[str],
    tables: list[str],
    tagging: list[str] | None = None,
    mlm: list[str] | None = None,
) -> list[str]:
    """The document in its order: what a tagging target's numbers are (`tagging`, when there is
    one), then how far transfer is above chance before the answer, since robustness means
    nothing where the clean model is at chance; then the tables."""
    cells = (
        "Cells are each target task's metric in % (accuracy for classification targets; tagging "
        "targets: see the next section)"
        if tagging
        else "Cells are accuracy in %"
    )
    return [
        "# X-STILTs robustness artifact: results",
        "",
        f"Profile: **{params.profile}**; seeds: {', '.join(map(str, params.seeds))}; "
        f"conditions: {', '.join(params.all_condition_names)}.",
        *_rsda_line(params),
        *(mlm or []),
        f"{cells}, mean ± std over seeds. Models are trained and selected on English only; every "
        "other language is zero-shot.",
        "",
        *(tagging or []),
        *transfer,
        *answer,
        *tables,
    ]


def robustness_section(
    params: Params, root: Path, runs: dict, frame: pd.DataFrame, chance: AtChance | None = None
) -> tuple[list[str], list[str], dict]:
    """The answer that opens the report, the detailed robustness tables, and their summary.

    `chance` (task -> condition -> languages at chance) marks and leaves out the cells that are
    uninformative for robustness. The primary and exploratory comparisons are over the
    classification targets; the tagging targets' (on sentence exact match) get a table and a
    Holm correction of their own (`xstilts.report.tagging`).
    """
    chance = chance or {}
    tagging = tagging_tasks(runs)
    qa = span_tasks(runs)
    is_tagging = frame["task"].isin(tagging)
    is_qa = frame["task"].isin(qa)
    is_own = is_tagging | is_qa
    attacks = [f"attack:{name}" for name in params.robustness.attacks]
    variants, pairs = split_variants(sorted(v for v in frame["variant"].unique() if "@" in v))
    primary = drop_comparisons(frame[~is_own], params, attacks, chance)
    exploratory = drop_comparisons(frame[~is_own], params, variants, chance)
    generalized = drop_comparisons(frame[~is_own], params, pairs, chance)
    per_task = drop_comparisons(frame[is_tagging], params, [*attacks, *variants], chance)
    per_qa = drop_comparisons(frame[is_qa], params, [*attacks, *variants], chance)
    answer = answer_lines(primary, chance, tagging, qa)
    texts = language_texts(params, root / paths.PREPARED)
    details = ["## Robustness", ""]
    for task, by_condition in runs.items():
        details += not_applicable_lines(task, by_condition)
        details += attack_summary(task, by_condition)
        details += language_table(task, by_condition, texts.get(task, {}), chance.get(task))
        details += family_table(task, by_condition)
    details += exploratory_lines(exploratory) + tagging_comparison_lines(per_task, tagging)
    details += span_comparison_lines(per_qa, qa)
    details += generalized_lines(
        runs, generalized_comparison_lines(generalized), params.robustness.max_examples
    )
    summary = {
        "primary": primary.to_dict(orient="records"),
        "exploratory_significant": significant(exploratory),
        "uninformative": chance,
    }
    if pairs:
        summary["generalized_significant"] = significant(generalized)
    if tagging:
        summary["tagging"] = {"tasks": tagging, "significant": significant(per_task)}
    if qa:
        summary["qa"] = {"tasks": qa, "significant": significant(per_qa)}
    missing = {task: not_applicable(by_condition) for task, by_condition in runs.items()}
    if any(missing.values()):
        summary["not_applicable"] = {task: found for task, found in missing.items() if found}
    return answer, details, summary


def answer_lines(
    primary: pd.DataFrame, chance: AtChance, tagging: list[str], qa: list[str] | None = None
) -> list[str]:
    """The answer: the verdict over the primary comparisons, one sentence each, how they were
    made, and which targets they leave to their own table."""
    power = power_summary(primary)
    return [
        "## Answer to the research question",
        "",
        verdict(primary),
        "",
        *[
            sentence(row, row["variant"].removeprefix("attack:") + " attack")
            for _, row in primary.iterrows()
        ],
        "",
        *([power, ""] if power else []),
        "Primary comparisons: accuracy drop under attack (clean minus attacked accuracy on the "
        "same examples), per classification target, pooled over the zero-shot languages, "
        "multi-task against every other condition; paired difference in drops with a 95% "
        "bootstrap interval (examples resampled with all their seeds, within languages), a "
        "sign-flip (McNemar) test and Holm correction over the "
        f"{tested(primary)} informative comparisons. {INTERVALS_VS_HOLM} "
        "A negative difference means the "
        "first condition loses less accuracy, i.e. is more robust. A drop can only be as large "
        "as the clean accuracy it starts from: read it next to the clean and attacked "
        "accuracies in the robustness tables below (a model that is nearly constant loses "
        "little and is not thereby robust). A language where either compared condition is not "
        "significantly above chance on clean inputs (see the section above) is left out of that "
        "comparison and named in it: a model at chance has no accuracy to lose, so its drop is "
        "noise.",
        "",
        *([TAGGING_NOT_PRIMARY.format(tasks=", ".join(tagging)), ""] if tagging else []),
        *([QA_NOT_PRIMARY.format(tasks=", ".join(qa)), ""] if qa else []),
        *uninformative_lines(chance),
    ]


TAGGING_NOT_PRIMARY = (
    "The tagging targets ({tasks}) are not in the primary comparisons or in this count: their "
    "per-example outcome is sentence exact match, not one example's class; their comparisons "
    "are per task, in their own table under Robustness, with their own Holm correction."
)


QA_NOT_PRIMARY = (
    "The question-answering targets ({tasks}) are not in the primary comparisons or in this "
    "count: their per-example outcome is the answer's F1, not one example's class; their "
    "comparisons are per task, in their own table under Robustness, with their own Holm "
    "correction."
)


def exploratory_lines(exploratory: pd.DataFrame) -> list[str]:
    """The exploratory family: the classification targets' drop under each perturbation."""
    return [
        "### Exploratory: drop under each perturbation family, pooled zero-shot",
        "",
        "Classification targets. Holm-corrected within this table only (a second family of "
        "hypotheses). Each row pools "
        "the zero-shot languages where the family changed some input the tokenizer sees "
        "(`languages`): a family effective in one language only is compared on that language. "
        "Drops are over the same pooled rows as the difference, so diff = drop a - drop b. "
        "Languages where a or b is at chance are left out (named in `left out (at chance)`). "
        f"{INTERVALS_VS_HOLM} {DETECTABLE_COLUMN}",
        "",
        *comparison_table(exploratory),
        "",
    ]


def generalized_comparison_lines(comparisons: pd.DataFrame) -> list[str]:
    """The generalized setting's family: the drop from the same-language pair to the pair
    with its second text in another language."""
    if comparisons.empty:
        return []
    return [
        "### Generalized setting: drop to a second text in another language, pooled zero-shot",
        "",
        "A row's variant `generalized@xx` puts each pair's second text in language xx; its drop "
        "is clean (same-language) minus mixed-language accuracy on the same examples, pooled "
        "over the zero-shot languages of the first text (`languages`). Holm-corrected within "
        "this table only (a family of its own). Languages where a or b is at chance are left "
        f"out. {INTERVALS_VS_HOLM} {DETECTABLE_COLUMN}",
        "",
        *comparison_table(comparisons),
        "",
    ]


def tagging_comparison_lines(per_task: pd.DataFrame, tagging: list[str]) -> list[str]:
    """The tagging targets' comparisons, per task, on sentence exact match; nothing without a
    tagging target."""
    if not tagging:
        return []
    return [
        "### Tagging targets: drop in sentence exact match, pooled zero-shot, per task",
        "",
        f"Tagging targets ({', '.join(tagging)}). The paired statistics need one independent "
        "0/1 outcome per example, and the words of one sentence are not independent, so these "
        "comparisons are on sentence exact match (1 when every tag of the sentence is right): "
        "drop = clean minus perturbed (or attacked) exact match on the same sentences, in pp. "
        "That is neither the word accuracy nor the entity F1 of the tables above, and a "
        "different outcome from a classification example's, so these rows are Holm-corrected "
        "within this table only (a family of their own) and not pooled with the classification "
        "targets. Languages, pooling and `left out (at chance)` (no-skill level, see the "
        f"transfer section) as in the exploratory table. {INTERVALS_VS_HOLM} {DETECTABLE_COLUMN}",
        "",
        *comparison_table(per_task),
        "",
    ]


def span_comparison_lines(per_task: pd.DataFrame, qa: list[str]) -> list[str]:
    """The QA targets' comparisons, per task, on per-question answer F1; nothing without a QA
    target."""
    if not qa:
        return []
    return [
        "### Question-answering targets: drop in answer F1, pooled zero-shot, per task",
        "",
        f"QA targets ({', '.join(qa)}). Drop = clean minus perturbed (or attacked) answer F1 on "
        "the same questions, in pp; the difference in drops is bootstrapped (questions "
        "resampled with all their seeds, within languages) and tested with the sign-flip test "
        "on per-question differences, which fits a continuous F1 (the McNemar columns stay "
        "empty). Holm-corrected within this table only (a family of its own), not pooled with "
        "the classification targets. Languages, pooling and `left out (at chance)` as in the "
        f"exploratory table. {INTERVALS_VS_HOLM} {DETECTABLE_COLUMN}",
        "",
        *comparison_table(per_task),
        "",
    ]


def significant(comparisons: pd.DataFrame) -> int:
    """How many comparisons are significant after Holm correction."""
    return int(comparisons["significant"].sum()) if len(comparisons) else 0


def tested(comparisons: pd.DataFrame) -> int:
    """How many comparisons are tested (in the Holm family): those not wholly at chance."""
    return int(comparisons["informative"].sum()) if len(comparisons) else 0


def uninformative_lines(chance: AtChance) -> list[str]:
    """The (task, condition, language) cells at chance, named, as the comparisons leave them
    out."""
    if not chance:
        return []
    items = [
        f"- {task}, {condition}: {', '.join(langs)}"
        for task, by_condition in chance.items()
        for condition, langs in by_condition.items()
    ]
    title = "Uninformative for robustness (clean score not above chance or no-skill level):"
    return [title, "", *items, ""]


def budget_curve_note(params: Params) -> str:
    """How to read the accuracy-vs-budget curves: exact for greedy, a bound for beam search."""
    attacks = params.robustness.attacks
    greedy = [name for name, a in attacks.items() if a.beam_width == 1]
    beam = [
        f"{name} (beam width {a.beam_width})" for name, a in attacks.items() if a.beam_width > 1
    ]
    parts = [
        "attack_budget: accuracy under each attack at each edit budget is read off one attack "
        "run at the attack's configured budget, counting an attack as successful at a smaller "
        "budget when it changed at most that fraction of the words."
    ]
    if greedy:
        parts.append(
            f"For greedy search ({', '.join(greedy)}) the curve is exact: a run with the smaller "
            "budget would take the same path."
        )
    if beam:
        parts.append(
            f"For beam search ({', '.join(beam)}) it is an upper bound on accuracy at the "
            "smaller budgets: a run with a smaller budget keeps different partial attacks in its "
            "beam and may find flips this run did not; only the point at the configured budget "
            "is measured."
        )
    return " ".join(parts)


COMPARISON_HEADER = [
    "task", "variant", "languages", "left out (at chance)", "a vs b", "drop a", "drop b",
    "diff (pp)", "unadjusted 95% CI", "detectable (pp)", "p", "Holm p", "sig. (Holm)",
]  # fmt: skip
# Said wherever an interval stands next to a corrected p-value, so that an interval excluding zero
# beside "not significant" reads as what it is, not as a contradiction.
INTERVALS_VS_HOLM = (
    "The intervals and the plain p-values are per comparison (unadjusted); significance is "
    "decided by the Holm-adjusted p-value over the whole family, so an interval that excludes "
    "zero can stand next to a comparison that is not significant after the correction."
)


DETECTABLE_COLUMN = (
    "`detectable (pp)`: the smallest difference in drop the row's test would find with the "
    "configured power (`robustness.power`), at the unadjusted level / at the threshold of "
    "Holm's first step over the table (normal approximation of the sign-flip test, "
    "per-example discordance as observed); a row that is not significant rules out only "
    "differences above it."
)


def comparison_table(rows: pd.DataFrame) -> list[str]:
    if rows.empty:
        return ["(no comparisons)"]
    return table(
        COMPARISON_HEADER,
        [
            [
                r["task"],
                r["variant"],
                str(r["languages"]),
                r.get("left_out") or "-",
                f"{r['condition_a']} vs {r['condition_b']}",
                *_comparison_numbers(r),
            ]
            for _, r in rows.iterrows()
        ],
    )


def _comparison_numbers(r: pd.Series) -> list[str]:
    """Drops, difference, interval, p and verdict; "-" where every language was left out."""
    if not r.get("informative", True):
        return ["-"] * 7 + ["uninformative"]
    return [
        f"{100 * r['drop_a']:.1f}",
        f"{100 * r['drop_b']:.1f}",
        f"{100 * r['diff']:+.1f}",
        f"[{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}]",
        _detectable_cell(r),
        f"{r['p_value']:.3g}",
        f"{r['p_holm']:.3g}",
        "yes" if r["significant"] else "no",
    ]


def _detectable_cell(r: pd.Series) -> str:
    """Unadjusted and Holm-first-step detectable differences, "-" when unknown."""
    found = detectable(r)
    return "-" if found is None else f"{100 * found[0]:.1f} / {100 * found[1]:.1f}"


def language_texts(params: Params, prepared: Path) -> dict[str, dict[str, str]]:
    """Test text of each (task, language), to name the language's script."""
    texts: dict[str, dict[str, str]] = {}
    for task in params.targets:
        for lang in target_languages(params, task):
            examples = read_split(prepared, task, "test", lang)
            sample = [t for e in examples[:20] for t in example_texts(e)]
            texts.setdefault(task, {})[lang] = " ".join(sample)
    return texts
