rule diarize:
    input:
        wav="results/{sample}/audio.wav",
    output:
        rttm="results/{sample}/diarization.rttm",
        exclusive="results/{sample}/diarization.exclusive.rttm",
        memory="results/{sample}/memory/diarize.json",
    log:
        "logs/diarize/{sample}.log",
    benchmark:
        "benchmarks/diarize/{sample}.tsv"
    retries: 1
    conda:
        "../../envs/diarize.yaml"
    threads: rule_threads("diarize")
    resources:
        gpu=1,
        attempt=attempt_number,
        mem_mb=rule_mem_mb("diarize"),
        runtime=rule_runtime("diarize"),
    params:
        version=__version__,
        diarization=config["diarization"],
        device=config["device"],
    script:
        "../../scripts/diarize.py"
