"""GPU slot pinning with real processes and real locks; the device list is given, so no GPU is needed."""

import json
import os
import subprocess
import sys
import textwrap
import time

from vramscribe.gpu_slots import claim_gpus, lock_dir, pin_gpus, try_claim, visible_gpus

# A job: pin `gpus` GPUs, say which and when (a line at once, a line at the end), hold them `hold` seconds.
JOB = textwrap.dedent(
    """
    import json, os, sys, time
    from vramscribe.gpu_slots import pin_gpus
    gpus, hold = int(sys.argv[1]), float(sys.argv[2])
    pinned = pin_gpus(gpus)
    print(json.dumps({"pinned": pinned, "env": os.environ["CUDA_VISIBLE_DEVICES"], "start": time.time()}), flush=True)
    time.sleep(hold)
    print(json.dumps({"end": time.time()}))
    """
)


def start_job(tmp_path, visible="0,1", gpus=1, hold=1.5, **env):
    """A real job process that sees the GPUs `visible` (their locks under tmp_path)."""
    environ = {k: v for k, v in os.environ.items() if k != "SLURM_JOB_ID"}
    environ.update(TMPDIR=str(tmp_path), CUDA_VISIBLE_DEVICES=visible, **env)
    return subprocess.Popen([sys.executable, "-c", JOB, str(gpus), str(hold)], env=environ, stdout=subprocess.PIPE, text=True)


def claimed(process) -> dict:
    """Wait until the job holds its GPUs: {"pinned", "env", "start"}."""
    return json.loads(process.stdout.readline())


def result(process, claim: dict | None = None) -> dict:
    """The job's claim and end time once it has exited (give the claim if `claimed` has read it)."""
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    merged = dict(claim or {})
    for line in out.splitlines():
        merged.update(json.loads(line))
    return merged


def test_visible_gpus_reads_cuda_visible_devices():
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0, 2"}) == ["0", "2"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}) == []
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "GPU-8f1c"}) == ["GPU-8f1c"]


def test_no_pinning_without_a_gpu_job_or_with_an_explicit_device():
    environ = {"CUDA_VISIBLE_DEVICES": "0,1"}
    assert pin_gpus(0, "auto", environ) == []
    assert pin_gpus(1, "cpu", environ) == []
    assert pin_gpus(1, "cuda:1", environ) == []
    assert environ == {"CUDA_VISIBLE_DEVICES": "0,1"}
    no_gpus = {"CUDA_VISIBLE_DEVICES": ""}
    assert pin_gpus(1, "auto", no_gpus) == [] and no_gpus == {"CUDA_VISIBLE_DEVICES": ""}


def test_two_slots_run_two_jobs_at_once_on_different_devices_and_a_third_waits(tmp_path):
    holder = start_job(tmp_path, visible="3,5")
    first = claimed(holder)
    others = [start_job(tmp_path, visible="3,5") for _ in range(2)]
    first = result(holder, first)
    second, third = sorted(map(result, others), key=lambda r: r["start"])
    assert first["pinned"] == ["3"] and first["env"] == "3"
    assert second["pinned"] == ["5"] and second["env"] == "5"
    assert second["start"] < first["end"]  # both devices busy at once
    assert third["start"] >= first["end"] - 0.05  # no slot left: it waited for the first job to exit
    assert third["pinned"] == ["3"]


def test_one_slot_serialises_jobs(tmp_path):
    jobs = [start_job(tmp_path, visible="0", hold=1.0) for _ in range(3)]
    spans = sorted((r["start"], r["end"]) for r in map(result, jobs))
    assert all(later[0] >= earlier[1] - 0.05 for earlier, later in zip(spans, spans[1:]))


def test_a_killed_job_frees_its_slot(tmp_path):
    holder = start_job(tmp_path, visible="0", hold=60)
    claimed(holder)
    holder.kill()
    holder.wait()
    started = time.time()
    assert result(start_job(tmp_path, visible="0", hold=0))["pinned"] == ["0"]
    assert time.time() - started < 10


def test_each_slurm_allocation_has_its_own_slots(tmp_path):
    """Two SLURM jobs on one node may both see their own device as 0: neither waits for the other."""
    jobs = [start_job(tmp_path, visible="0", hold=1.5, SLURM_JOB_ID=str(i)) for i in (101, 102)]
    first, second = map(result, jobs)
    assert first["pinned"] == second["pinned"] == ["0"]
    assert second["start"] < first["end"] and first["start"] < second["end"]


def test_a_multi_gpu_claim_is_all_or_nothing(tmp_path):
    held = try_claim(1, ["0", "1"], tmp_path)
    assert held.devices == ["0"]
    assert try_claim(2, ["0", "1"], tmp_path) is None
    other = try_claim(1, ["0", "1"], tmp_path)
    assert other.devices == ["1"]  # the failed pair claim left device 1 unlocked
    held.release(), other.release()
    assert claim_gpus(4, ["0", "1"], tmp_path).devices == ["0", "1"]  # capped at what exists


def test_lock_folder_is_per_user_and_allocation():
    assert lock_dir({}).parts[-2:] == (str(os.getuid()), "local")
    assert lock_dir({"SLURM_JOB_ID": "42"}).name == "42"


def test_rule_job_pins_the_gpu_before_the_stage_runs(tmp_path):
    """The workflow's rule scripts pin through vramscribe.jobs.rule_job."""
    script = textwrap.dedent(
        f"""
        import os
        from types import SimpleNamespace
        from vramscribe.jobs import rule_job
        job = SimpleNamespace(resources=SimpleNamespace(gpu=1), config={{}}, log=[{str(tmp_path / "job.log")!r}], rule="transcribe")
        with rule_job(job):
            pass
        print(os.environ["CUDA_VISIBLE_DEVICES"])
        """
    )
    environ = {k: v for k, v in os.environ.items() if k != "SLURM_JOB_ID"}
    environ.update(TMPDIR=str(tmp_path), CUDA_VISIBLE_DEVICES="6,7")
    out = subprocess.run([sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["6"]
