rule align:
    input:
        transcript="results/{sample}/transcript.json",
        exclusive="results/{sample}/diarization.exclusive.rttm",
    output:
        aligned="results/{sample}/aligned.json",
        srt="results/{sample}/{sample}.srt",
        vtt="results/{sample}/{sample}.vtt",
        txt="results/{sample}/{sample}.txt",
        tsv="results/{sample}/{sample}.tsv",
        memory="results/{sample}/memory/align.json",
        final_memory="results/{sample}/memory/final.json",
    log:
        "logs/align/{sample}.log",
    benchmark:
        "benchmarks/align/{sample}.tsv"
    conda:
        "../../envs/align.yaml"
    threads: rule_threads("align")
    resources:
        gpu=1,
        mem_mb=rule_mem_mb("align"),
        runtime=rule_runtime("align"),
    params:
        version=__version__,
        device=config["device"],
    script:
        "../../scripts/align.py"
