#!/usr/bin/env bash
# Real data for the default demo: Debian's shapeit4-example (1000 Genomes phase 3,
# chr20:1-4 Mb hg19, 300 phased Europeans; chr20 genetic map; Expat licence).
# Uses the installed package when present, else downloads the .deb (no root needed).
# To use your own data instead, point the config at your files; this rule then never runs.
# Run by the rule shapeit4_example (Snakemake's bash script support: snakemake_* arrays).
set -euo pipefail
exec > "${snakemake_log[0]}" 2>&1
out=$(dirname "${snakemake_output[vcf]}")
files="reference.vcf.gz chr20.b37.gmap.gz"
installed=/usr/share/doc/shapeit4/examples/test
mkdir -p "$out"
if [ -f "$installed/reference.vcf.gz" ]; then
    echo "using the installed package at $installed"
    src=$installed
else
    if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
        echo "popsbi: cannot obtain shapeit4-example: apt-get and dpkg-deb are needed (Debian/Ubuntu)." >&2
        echo "Download shapeit4-example_*.deb from https://packages.debian.org/shapeit4-example," >&2
        echo "and copy $files from its usr/share/doc/shapeit4/examples/test/ into $out/." >&2
        exit 1
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download shapeit4-example)
    dpkg-deb -x "$tmp"/shapeit4-example_*.deb "$tmp/x"
    src=$tmp/x$installed
    cp "$tmp/x/usr/share/doc/shapeit4-example/copyright" "$out/copyright"
fi
for f in $files; do cp "$src/$f" "$out/$f"; done
echo "wrote $files to $out"
