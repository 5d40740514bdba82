"""The command line: one subcommand per DVC stage, plus `profile`, `plan`, `show`, `repro`,
`rehearse`, `sample-world` and `pretrain`.

Each subcommand is a thin wrapper: it loads and validates params.yaml, resolves paths from
`xstilts.paths`, and calls the stage function. A user-fixable problem prints one line
(`xstilts: error: ...`) and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xstilts import paths
from xstilts.config import (
    PROFILES,
    Params,
    intermediate_condition,
    is_rsda,
    load_params,
    render_params,
)
from xstilts.errors import XstiltsError

PROFILE_DIR = Path("profiles")


def _prepare(params: Params, args: argparse.Namespace) -> None:
    from xstilts.data.prepared import prepare

    summary = prepare(params, paths.PREPARED)
    print(f"prepared {len(summary)} splits into {paths.PREPARED}/")


def _base(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.base import run_base

    meta = run_base(params.base, Path(params.data.root), paths.PRETRAINED, paths.BASE)
    print(f"base model ({meta['source']}) written to {paths.BASE}/")


def _pretrain(params: Params, args: argparse.Namespace) -> None:
    """The sample encoder (not a stage: `make pretrained` runs this, then `dvc add`s it);
    `--check` regenerates it into a scratch folder and compares it with the tracked one."""
    import shutil
    import tempfile

    from xstilts.pretraining.artifact import compare
    from xstilts.pretraining.mlm import pretrain_encoder

    if params.base.source != "pretrain":
        raise XstiltsError("this profile's encoder comes from the hub (base.source: hub)")
    state = paths.STATE / "pretrain"
    with tempfile.TemporaryDirectory(dir=".") as scratch:
        out = Path(scratch) / "pretrained" if args.check else Path(args.out)
        meta = pretrain_encoder(
            params.base, params.execution.base, Path(params.data.root), out, state
        )
        shutil.rmtree(state, ignore_errors=True)
        print(pretrain_summary(meta, out))
        if args.check:
            print(compare(paths.PRETRAINED, out))


def pretrain_summary(meta: dict, out: Path) -> str:
    probes = meta["probes"]
    copy = ", ".join(f"{k} {v:.3f}" for k, v in probes["copy"].items())
    retrieval = ", ".join(f"{k} {v:.3f}" for k, v in probes["translation_retrieval"].items())
    return (
        f"encoder written to {out}/: {meta['steps']} steps, masked-token dev accuracy "
        f"{meta['dev_masked_token_accuracy']:.3f}; copy probe: {copy}; "
        f"translation retrieval: {retrieval}"
    )


def _intermediate(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.intermediate import run_intermediate

    _check_choice(args.condition, params.condition_names, "condition")
    _check_choice(args.seed, params.seeds, "seed")
    out = paths.intermediate_dir(args.condition, args.seed)
    run_intermediate(
        params, args.condition, args.seed, paths.BASE, paths.PREPARED, out, paths.STATE / out
    )
    print(f"intermediate checkpoint written to {out}/")


def _target(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.target import run_target

    _check_choice(args.task, params.targets, "task")
    _check_condition(params, args.condition, args.task)
    _check_choice(args.seed, params.seeds, "seed")
    out = paths.target_dir(args.condition, args.task, args.seed)
    rsda = is_rsda(args.condition)
    run_target(
        params,
        args.condition,
        args.task,
        args.seed,
        paths.BASE,
        paths.intermediate_dir(intermediate_condition(args.condition), args.seed),
        paths.PREPARED,
        out,
        paths.STATE / out,
        paths.augmented_set(args.task, args.seed) if rsda else None,
    )
    print(f"target checkpoint written to {out}/")


def _neighbours(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.neighbours import run_neighbours

    words = run_neighbours(params, paths.NEIGHBOURS)
    print(f"RS-DA neighbours of {words} words in {paths.NEIGHBOURS}/")


def _augment(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.augment import run_augment_all

    written = run_augment_all(params, paths.PREPARED, paths.NEIGHBOURS, paths.AUGMENTED)
    print(f"RS-DA training copies in {len(written)} files under {paths.AUGMENTED}/")


def _lexicons(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.lexicons import missing_lexicons, run_lexicons

    names = run_lexicons(params, paths.LEXICONS)
    print(f"{len(names)} lexicons in {paths.LEXICONS}/: {', '.join(names)}")
    missing = missing_lexicons(paths.LEXICONS)
    if missing:
        print(
            f"no dictionary for {', '.join(missing)} ({len(missing)} of "
            f"{len(names) + len(missing)} languages): code-switching is not applicable there"
        )


def _perturb(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.perturb import run_perturb

    _check_choice(args.task, params.targets, "task")
    _check_choice(args.seed, params.seeds, "seed")
    out = paths.perturbed_set(args.task, args.seed)
    n = run_perturb(params, args.task, args.seed, paths.PREPARED, paths.BASE, paths.LEXICONS, out)
    print(f"{n} perturbed examples written to {out}")


def _evaluate(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.evaluate import RobustnessPaths, run_evaluate

    _check_choice(args.task, params.targets, "task")
    _check_condition(params, args.condition, args.task)
    _check_choice(args.seed, params.seeds, "seed")
    metrics = run_evaluate(
        params,
        args.condition,
        args.task,
        args.seed,
        paths.target_dir(args.condition, args.task, args.seed),
        paths.PREPARED,
        paths.eval_metrics(args.condition, args.task, args.seed),
        paths.eval_predictions(args.condition, args.task, args.seed),
        RobustnessPaths(
            paths.perturbed_set(args.task, args.seed),
            paths.LEXICONS,
            paths.robust_predictions(args.condition, args.task, args.seed),
            paths.attack_manifest(args.condition, args.task, args.seed),
        ),
    )
    print(f"{args.condition}/{args.task}/seed{args.seed}: {clean_scores_line(metrics)}")


def _retrieval_sets(params: Params, args: argparse.Namespace) -> None:
    from xstilts.retrieval.sets import write_sets

    summary = write_sets(params, paths.RETRIEVAL_SETS, Path(params.data.root))
    print(f"{len(summary)} retrieval sets written to {paths.RETRIEVAL_SETS}/")


def _retrieve(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.retrieve import run_retrieve

    _check_choice(args.condition, params.condition_names, "condition")
    _check_choice(args.seed, params.seeds, "seed")
    metrics = run_retrieve(
        params,
        args.condition,
        args.seed,
        paths.RETRIEVAL_SETS,
        paths.BASE,
        paths.intermediate_dir(args.condition, args.seed),
        paths.LEXICONS,
        paths.retrieve_metrics(args.condition, args.seed),
        paths.retrieve_rows(args.condition, args.seed),
    )
    print(f"{args.condition}/seed{args.seed}: {retrieval_line(metrics)}")


def retrieval_line(metrics: dict) -> str:
    """Tatoeba's xx -> en accuracy and BUCC's F1 per language, in %."""
    parts = []
    if "tatoeba" in metrics:
        scores = metrics["tatoeba"]["to_english"].items()
        parts.append("tatoeba xx->en " + ", ".join(f"{k} {100 * v:.1f}" for k, v in scores))
    if "bucc" in metrics:
        scores = metrics["bucc"]["f1"].items()
        parts.append("bucc F1 " + ", ".join(f"{k} {100 * v:.1f}" for k, v in scores))
    return "; ".join(parts) or "no retrieval task"


def clean_scores_line(metrics: dict) -> str:
    """The clean score of each language in %, after the metric's name ("f1" for entity F1):
    the metrics the evaluate stage just wrote name their metric (`xstilts.report.scores` reads
    them the same way; importing it here would make the report a dependency of that stage)."""
    metric = metrics.get("metric", "accuracy")
    shown = ", ".join(f"{lang} {100 * score:.1f}" for lang, score in metrics[metric].items())
    return f"{metric} {shown}"


def _report(params: Params, args: argparse.Namespace) -> None:
    from xstilts.stages.report import write_report

    write_report(params, Path("."), paths.REPORT, paths.SUMMARY)
    print(f"report written to {paths.REPORT}")


def _sample_world(params: Params, args: argparse.Namespace) -> None:
    """The offline sample world of params.yaml's `sample_world` section (how data/ was made)."""
    from xstilts.sample.world import write_world

    print(write_world(args.out, params.sample_world))


def _plan(params: Params, args: argparse.Namespace) -> None:
    from xstilts.plan import format_plan, plan_runs

    print(format_plan(params, plan_runs(params)))


def _show(params: Params, args: argparse.Namespace) -> None:
    if not paths.REPORT.exists():
        raise XstiltsError(f"{paths.REPORT} does not exist yet; run `make repro` first")
    print(paths.REPORT.read_text(encoding="utf-8"))


def _profile(args: argparse.Namespace) -> None:
    """Validate the profile, then write params.yaml as its whole resolved tree (defaults
    included), so that DVC's params tracking sees every value a stage uses."""
    source = PROFILE_DIR / f"{args.name}.yaml"
    params = load_params(source)
    Path("params.yaml").write_text(render_params(params, args.name), encoding="utf-8")
    print(f"params.yaml now holds the '{args.name}' profile, resolved (from {source})")


def _repro(params: Params, args: argparse.Namespace) -> int:
    """`dvc repro` with independent stages side by side (xstilts.lanes)."""
    from xstilts.lanes import default_jobs, run_lanes

    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise XstiltsError(f"--jobs must be at least 1, got {jobs}")
    return run_lanes(params, jobs, fork_server=not args.no_fork_server)


def _rehearse(args: argparse.Namespace) -> int:
    """The full profile's whole graph against a local stand-in hub (xstilts.rehearsal)."""
    from xstilts.rehearsal.run import rehearse

    grid = None
    if args.grid is not None:
        from xstilts.grid.cli import parse_submit_options

        grid = parse_submit_options(args.grid)
    result = rehearse(Path("."), Path(args.keep) if args.keep else None, grid)
    print(result.summary())
    return 0 if result.ok else 1


def _app(argv: list[str]) -> int:
    """Run the Gradio demo in app/main.py (the repository's, relative to the working directory,
    like params.yaml and models/)."""
    import runpy

    script = Path("app/main.py")
    if not script.is_file():
        raise XstiltsError(
            f"{script} not found; run `xstilts app` from the repository root (or `make app`)"
        )
    namespace = runpy.run_path(str(script), run_name="xstilts_app")
    return namespace["main"](argv)


def _grid(argv: list[str]) -> int:
    """The stages as Slurm jobs (xstilts.grid)."""
    from xstilts.grid.cli import main as grid_main

    return grid_main(argv)


def _check_condition(params: Params, condition: str, task: str) -> None:
    """An intermediate condition, or an RS-DA one that trains `task`. Asked by membership
    alone (which reads no params value), so no stage tracks the `rsda` settings just for this
    check, and editing one RS-DA setting reruns only the stages that use it."""
    if not is_rsda(condition):
        _check_choice(condition, params.condition_names, "condition")
        return
    base = intermediate_condition(condition)
    rsda = params.rsda
    if base not in rsda.conditions or base not in params.conditions or task not in rsda.tasks:
        _check_choice(condition, params.conditions_for(task), "condition")


def _check_choice(value: object, allowed: tuple, what: str) -> None:
    if value not in allowed:
        shown = ", ".join(map(str, allowed))
        raise XstiltsError(f"{what} {value!r} is not in params.yaml (allowed: {shown})")


STAGES = {
    "prepare": _prepare,
    "base": _base,
    "intermediate": _intermediate,
    "target": _target,
    "lexicons": _lexicons,
    "neighbours": _neighbours,
    "augment": _augment,
    "perturb": _perturb,
    "evaluate": _evaluate,
    "retrieval-sets": _retrieval_sets,
    "retrieve": _retrieve,
    "report": _report,
    "show": _show,
    "plan": _plan,
    "sample-world": _sample_world,
    "pretrain": _pretrain,
}
HELP = {
    "show": "print the report",
    "plan": "list every run with its steps and GPU-hours",
    "sample-world": "write the offline sample world of the params file's sample_world section",
    "pretrain": "pretrain the sample encoder into pretrained/ (not a stage; `make pretrained`)",
    "retrieval-sets": "run the retrieval_sets stage",
    "retrieve": "run the retrieve stage: retrieval with one condition's encoder",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xstilts", description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="parameter file")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in STAGES:
        stage = sub.add_parser(name, help=HELP.get(name, f"run the {name} stage"))
        if name in ("intermediate", "target", "evaluate", "retrieve"):
            stage.add_argument("--condition", required=True)
            stage.add_argument("--seed", type=int, required=True)
        if name in ("target", "evaluate", "perturb"):
            stage.add_argument("--task", required=True)
        if name == "perturb":
            stage.add_argument("--seed", type=int, required=True)
        if name == "sample-world":
            stage.add_argument("--out", required=True, help="directory to write the world into")
        if name == "pretrain":
            stage.add_argument("--out", default=str(paths.PRETRAINED), help="folder to write")
            stage.add_argument(
                "--check",
                action="store_true",
                help="regenerate into a scratch folder and compare with the tracked encoder",
            )
    profile = sub.add_parser("profile", help="switch params.yaml to a profile")
    profile.add_argument("name", choices=PROFILES)
    repro = sub.add_parser(
        "repro", help="dvc repro, running independent stages side by side (`make repro`)"
    )
    repro.add_argument(
        "--jobs",
        type=int,
        help="stages run at once (default: one per core, or 1 with a GPU; 1: plain `dvc repro`)",
    )
    repro.add_argument(
        "--no-fork-server",
        action="store_true",
        help="each stage starts its own Python (default: stages fork from one that has "
        "imported torch and transformers; outputs are the same)",
    )
    rehearse = sub.add_parser(
        "rehearse",
        help="run the full profile's whole graph at tiny sizes against a local stand-in hub",
    )
    rehearse.add_argument("--keep", metavar="DIR", help="copy the scratch run into DIR")
    rehearse.add_argument(
        "--grid",
        metavar="OPTIONS",
        help="run the graph as Slurm jobs (`xstilts grid submit` with these options, quoted as "
        'one argument, e.g. "--partition debug --cpus 2") on nodes that reach 127.0.0.1',
    )
    sub.add_parser(
        "grid",
        help="run the stages as Slurm jobs, one per stage (options: `xstilts grid --help`)",
        add_help=False,
    )
    sub.add_parser(
        "app",
        help="start the Gradio demo (options: `xstilts app --help`)",
        add_help=False,
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command; a stage's runs in a child of `xstilts repro`'s fork server when there is
    one (see `xstilts.forkserver`)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in STAGES:
        from xstilts import forkserver

        forked = forkserver.delegate(argv)
        if forked is not None:
            return forked
    return run(argv)


def run(argv: list[str]) -> int:
    """The command in this interpreter."""
    if argv[:1] == ["grid"]:  # parses its own options; not imported by the stages' commands
        return _grid(argv[1:])
    if argv[:1] == ["app"]:  # the demo parses its own options
        try:
            return _app(argv[1:])
        except XstiltsError as err:
            print(f"xstilts: error: {err}", file=sys.stderr)
            return 2
    args = build_parser().parse_args(argv)
    from xstilts import logs

    logs.configure()
    try:
        if args.command == "profile":
            _profile(args)
        elif args.command == "rehearse":
            return _rehearse(args)
        elif args.command == "repro":
            return _repro(load_params(args.params), args)
        else:
            STAGES[args.command](load_params(args.params), args)
    except XstiltsError as err:
        print(f"xstilts: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("xstilts: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
