#!/bin/sh
# Install the Debian packages imb needs, when any is missing.
set -e
PKGS="build-essential libopenblas-dev libxgboost-dev libsvm-dev liblinear-dev
libcsv-dev libmsgpack-dev libjpeg-dev libpng-dev zlib1g-dev libarchive-dev
bats bats-assert bats-support gnuplot-nox dataset-fashion-mnist
python3-sklearn python3-imblearn python3-xgboost python3-numpy python3-msgpack python3-torch python3-torchvision python3-pil
slurmctld slurmd slurm-client munge"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "imb: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
