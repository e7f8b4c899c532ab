rule preprocess:
    input:
        sample_source,
    output:
        wav="results/{sample}/audio.wav",
        memory="results/{sample}/memory/preprocess.json",
    log:
        "logs/preprocess/{sample}.log",
    benchmark:
        "benchmarks/preprocess/{sample}.tsv"
    conda:
        "../../envs/preprocess.yaml"
    threads: rule_threads("preprocess")
    resources:
        mem_mb=rule_mem_mb("preprocess"),
        runtime=rule_runtime("preprocess"),
    params:
        version=__version__,
        channels=config["channels"],
    script:
        "../../scripts/preprocess.py"
