#!/usr/bin/env bash
# Builds the installable plugin zip (dist/layersync.zip): plugin/ exactly as it ships,
# with the compiled tracker and admin app, without tests or dev files.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
out="$ROOT/dist"; stage="$(mktemp -d)"
mkdir -p "$out" "$stage/layersync"
(cd "$ROOT/plugin" && tar --exclude='./tests' --exclude='*.map' -cf - .) | tar -xf - -C "$stage/layersync"
rm -f "$out/layersync.zip"
(cd "$stage" && php -r '
$zip = new ZipArchive();
$zip->open($argv[1], ZipArchive::CREATE);
$it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator("layersync", FilesystemIterator::SKIP_DOTS));
foreach ($it as $f) { $zip->addFile($f->getPathname(), $f->getPathname()); }
$zip->close();' "$out/layersync.zip")
rm -rf "$stage"
log "wrote $out/layersync.zip ($(du -k "$out/layersync.zip" | cut -f1) KB)"
