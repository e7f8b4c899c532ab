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
    params:
        version=__version__,
    script:
        "../../scripts/preprocess.py"
