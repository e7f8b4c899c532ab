rule report:
    input:
        report_inputs,
    output:
        json=report(
            "results/report/cleanup_verification.json",
            caption="../report/cleanup_json.rst",
            category="Memory",
        ),
        markdown=report(
            "results/report/cleanup_verification.md",
            caption="../report/cleanup_md.rst",
            category="Memory",
        ),
        plots=report(
            directory("results/report/timelines"),
            patterns=["{name}.png"],
            caption="../report/timeline.rst",
            category="Memory",
        ),
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("report")
    resources:
        mem_mb=rule_mem_mb("report"),
        runtime=rule_runtime("report"),
    params:
        samples=SAMPLES,
        fail_on_leak=config["fail_on_leak"],
        partial=BATCH_SIZE > 1,
    script:
        "../../scripts/report.py"
