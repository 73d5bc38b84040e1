# Jupyter for `cairn nb run` on Python notebooks and for running the example in a real Deno
# kernel (tests/e2e/notebook_test.ts runs both for real); openssl makes the test CA of
# tests/e2e/library_url_test.ts (mod.ts imported by HTTPS URL); python3-yaml is what scripts
# migrated from Python notebooks read params.yaml with.
# shellcheck source=scripts/apt_retry.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt_retry.sh"
pkgs=(jupyter-nbconvert python3-ipykernel python3-yaml openssl)
mapfile -t need < <(missing_packages "${pkgs[@]}")
((${#need[@]})) && apt_get install -y -qq --no-install-recommends "${need[@]}"
mapfile -t still < <(missing_packages "${pkgs[@]}")
if ((${#still[@]})); then
  echo "ci_deps: not installed: ${still[*]} (notebook and library URL tests need them)" >&2
  exit 1
fi
exit 0
