rule transcribe:
    input:
        wav="results/{sample}/audio.wav",
    output:
        transcript="results/{sample}/transcript.json",
        memory="results/{sample}/memory/transcribe.json",
    log:
        "logs/transcribe/{sample}.log",
    benchmark:
        "benchmarks/transcribe/{sample}.tsv"
    retries: 2
    conda:
        "../../envs/transcribe.yaml"
    threads: rule_threads("transcribe")
    resources:
        gpu=1,
        attempt=attempt_number,
        mem_mb=rule_mem_mb("transcribe"),
        runtime=rule_runtime("transcribe"),
    params:
        version=__version__,
        whisper=config["whisper"],
        device=config["device"],
    script:
        "../../scripts/transcribe.py"
