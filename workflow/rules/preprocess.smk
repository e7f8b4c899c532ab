rule preprocess:
    output:
        wav="results/{sample}/audio.wav",
        memory="results/{sample}/memory/preprocess.json",
    log:
        "logs/preprocess/{sample}.log",
    benchmark:
        "benchmarks/preprocess/{sample}.tsv"
    conda:
        "../../envs/preprocess.yaml"
    threads: rule_threads("preprocess", sample_sources)
    resources:
        mem_mb=rule_mem_mb("preprocess", sample_sources),
        runtime=rule_runtime("preprocess", sample_sources),
    params:
        version=__version__,
        source=sample_path,
        source_state=sample_state,
        channels=config["channels"],
    script:
        "../../scripts/preprocess.py"
