#!/usr/bin/env bash
# Publishes a release made by scripts/release.sh as a GitHub release (needs `gh` and GH_TOKEN):
#   bash scripts/release-publish.sh DIR TAG      # upload
#   bash scripts/release-publish.sh DIR --list   # print what would be uploaded (release-dry runs it)
# Uploads the sealed bundle, its Sigstore export, the release trust file and every artifact sealed
# in the bundle; PyPI and npm uploads are separate, reviewed steps.
set -euo pipefail
dir="${1:?usage: release-publish.sh DIR TAG|--list}"
tag="${2:?usage: release-publish.sh DIR TAG|--list}"
files=("$dir/release.zip" "$dir/release.sigstore.json" "$dir/clyra-release-trust.json")
while IFS= read -r f; do files+=("$f"); done < <(find "$dir/dist" "$dir/sbom" -type f | sort)
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "error: $f is missing: run scripts/release.sh first" >&2; exit 4; }
done
if [ "$tag" = --list ]; then
  printf '%s\n' "${files[@]}"
  exit 0
fi
gh release create "$tag" --title "Clyra $tag" \
  --notes "Verify: clyra verify release.zip --trust clyra-release-trust.json" "${files[@]}"
