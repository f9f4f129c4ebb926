rule shapeit4_example:
    """Real data: 1000 Genomes chr20 excerpt and genetic map from Debian's shapeit4-example."""
    output:
        vcf="resources/shapeit4-example/reference.vcf.gz",
        genetic_map="resources/shapeit4-example/chr20.b37.gmap.gz",
    log:
        "logs/shapeit4_example.log",
    benchmark:
        "benchmarks/shapeit4_example.tsv"
    conda:
        "../../envs/data.yaml"
    resources:
        runtime=10,
    script:
        "../scripts/fetch_shapeit4_example.sh"
