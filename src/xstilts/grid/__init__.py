"""The pipeline's stages as jobs on a Slurm cluster (`xstilts grid`).

One job per DVC stage, with the graph's edges as Slurm dependencies (`afterok`), each in its own
workspace on the shared DVC cache, and a last job that assembles dvc.lock and checks the outputs
out into the repository. The modules, in the order a grid run uses them:

- `graph`: the stage graph DVC knows (dvc.yaml's matrix expanded), dependencies first;
- `resources`: what each job asks Slurm for (GPUs, CPUs, memory, time from `xstilts plan`);
- `state`: the grid folder: the source snapshot, the jobs submitted, each finished stage's
  lock entry;
- `workspace`: what a job does: a fresh workspace, its inputs checked out from the cache,
  `dvc repro --single-item`, its lock entry recorded;
- `lockfile`: reading and writing dvc.lock entries as DVC does;
- `assemble`: the recorded entries merged into the repository's dvc.lock, outputs checked out;
- `slurm`: sbatch, squeue, scancel and sinfo, and the job scripts;
- `submit`: deciding what to submit and submitting it; `status`: what became of the jobs;
- `job`: the command inside a job; `cli`: `xstilts grid`'s options.
"""
