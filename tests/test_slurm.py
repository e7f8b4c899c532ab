"""HPC: the workflow through a real SLURM scheduler (a one-node cluster on localhost), the profiles, the conda envs."""

import os
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE, REPO, SNAKEMAKE, read_json
from vramscribe.stages import CHECKPOINT_NAMES, STAGES

CLUSTER = REPO / "tests" / "hpc" / "slurm_cluster.sh"
RULES = {path.stem: path.read_text() for path in (REPO / "workflow" / "rules").glob("*.smk")}
GPU_RULES = {name for name, text in RULES.items() if re.search(r"^\s+gpu=1,", text, re.M)}
SAMPLE = "dialogue"


def pyproject_pins() -> dict[str, str]:
    """pyproject.toml's dependencies by normalised name: {'faster-whisper': '==1.2.1', ...}."""
    pins = {}
    for spec in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]:
        name, version = re.match(r"([A-Za-z0-9_.\-\[\]]+)(.*)", spec).groups()
        pins[normalise(name.split("[")[0])] = version
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.stem)
def test_conda_env_pins_match_pyproject(env):
    spec = yaml.safe_load(env.read_text())
    assert spec["channels"] == ["conda-forge", "nodefaults"]
    conda = [d for d in spec["dependencies"] if isinstance(d, str)]
    assert "python =3.11" in conda and "pip" in conda
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    pins = pyproject_pins()
    for requirement in pip:
        name, version = re.match(r"([A-Za-z0-9_.\-]+)(.*)", requirement).groups()
        assert pins.get(normalise(name)) == version, f"{env.name}: {requirement} is not pyproject.toml's pin"


def test_every_rule_names_an_existing_conda_env():
    for name, text in RULES.items():
        for env in re.findall(r'conda:\s*"([^"]+)"', text):
            assert (REPO / "workflow" / "rules" / env).resolve().is_file(), f"rule file {name}: {env} missing"


def test_profiles_request_gpus_only_for_gpu_rules_and_send_them_to_a_gpu_partition():
    local = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text())
    assert local["resources"] == {"gpu": 1} and local["cores"] == "all"
    slurm = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    assert slurm["executor"] == "slurm"
    assert {"slurm_partition", "mem_mb", "runtime"} <= set(slurm["default-resources"])
    assert "resources" not in slurm  # a global gpu cap would throttle the whole cluster to it
    assert GPU_RULES == {"transcribe", "diarize", "align", "batch"}
    partitions = {rule: res["slurm_partition"] for rule, res in slurm["set-resources"].items()}
    assert set(partitions) == GPU_RULES and set(partitions.values()) == {"gpu"}


@pytest.fixture(scope="module")
def slurm_cluster():
    """A one-node SLURM cluster (partitions cpu and gpu, one fake GPU), stopped by PID afterwards."""
    if os.geteuid() != 0:
        pytest.skip("the SLURM test starts munge and slurm daemons: run it as root")
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        pytest.skip("the SLURM test needs Debian's slurm-wlm packages and no apt-get is here to install them")
    started = subprocess.run(["bash", str(CLUSTER), "start"], capture_output=True, text=True, timeout=600)
    if started.returncode != 0:  # the script has already stopped whatever it started
        pytest.skip(f"could not start a SLURM cluster: {(started.stdout + started.stderr).strip()[-1500:]}")
    try:
        yield
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop"], capture_output=True, timeout=180)


def sacct(job_ids: list[str]) -> dict[str, dict[str, str]]:
    """Accounting records of these jobs once complete (the partition shows up a moment after the job)."""
    fields = ["JobIDRaw", "Partition", "State", "AllocTRES"]
    for _ in range(40):
        out = subprocess.run(
            ["sacct", "-X", "-P", "-n", "-j", ",".join(job_ids), "-o", ",".join(fields)],
            capture_output=True, text=True, check=True,
        ).stdout
        records = {line.split("|")[0]: dict(zip(fields, line.split("|"))) for line in out.splitlines()}
        if len(records) == len(job_ids) and all(r["Partition"] for r in records.values()):
            return records
        time.sleep(0.5)
    return records


def speaker_turns(aligned: dict) -> list[tuple[str, str]]:
    """(word, speaker) with speakers renamed by first appearance, so equal diarizations compare equal."""
    names: dict[str, str] = {}
    return [(w["text"].strip(), names.setdefault(w["speaker"], f"S{len(names)}")) for w in aligned["words"]]


@pytest.mark.slow
@pytest.mark.slurm
def test_workflow_runs_through_sbatch_and_matches_a_local_run(slurm_cluster, example_run, tmp_path):
    started = time.time()
    run = subprocess.run(
        ["timeout", "-s", "INT", "-k", "30", "600",  # SIGINT: snakemake can sit out SIGTERM while polling
         SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
         "--workflow-profile", str(REPO / "profiles" / "slurm"), "--config", f"input_dir={EXAMPLE}",
         "--slurm-init-seconds-before-status-checks", "1", "--slurm-keep-successful-logs"],
        capture_output=True, text=True,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    print(f"SLURM workflow run: {time.time() - started:.0f} s")

    # Every job went through sbatch: the plugin's submission lines, its per-job logs, and SLURM's accounting.
    submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+/slurm_logs/rule_(\w+)/\S+\.log)\)", output)
    jobs = {rule: job_id for job_id, _, rule in submitted}
    assert set(jobs) == {"preprocess", "transcribe", "diarize", "align", "report"}
    for job_id, log, rule in submitted:
        assert Path(log).name == f"{job_id}.log" and Path(log).is_relative_to(tmp_path / ".snakemake" / "slurm_logs")
        assert f"rule {rule}:" in Path(log).read_text()
    records = sacct(list(jobs.values()))
    for rule, job_id in jobs.items():
        record = records[job_id]
        assert record["State"] == "COMPLETED", record
        if rule in GPU_RULES:
            assert record["Partition"] == "gpu" and "gres/gpu=1" in record["AllocTRES"], record
        else:
            assert record["Partition"] == "cpu" and "gres/gpu" not in record["AllocTRES"], record
    assert "cpu=2" in records[jobs["transcribe"]]["AllocTRES"]  # the rule's threads became --cpus-per-task
    queue = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i|%T", "-j", ",".join(jobs.values())], capture_output=True, text=True
    ).stdout.split()
    assert sorted(queue) == sorted(f"{job_id}|COMPLETED" for job_id in jobs.values())

    # The same words and the same speaker turns as the local run, and the 19 checkpoints.
    on_slurm = read_json(tmp_path / f"results/{SAMPLE}/aligned.json")
    local = read_json(example_run / f"results/{SAMPLE}/aligned.json")
    assert len(on_slurm["words"]) > 50
    assert speaker_turns(on_slurm) == speaker_turns(local)
    assert len(on_slurm["speakers"]) == len(local["speakers"]) == 2
    points = [c["name"] for s in STAGES for c in read_json(tmp_path / f"results/{SAMPLE}/memory/{s}.json")["checkpoints"]]
    assert points == CHECKPOINT_NAMES
    assert read_json(tmp_path / "results/report/cleanup_verification.json")["samples"][SAMPLE]
