#!/usr/bin/env bash
# Builds gpu-bundle/ (git-ignored): what a lent GPU machine, which has no Java and no network,
# needs to run the GPU conformance suite and the GPU timing table:
#
#   gpu-bundle/scalekernel-gpu.jar   kernel-api + kernel-gpu, their test classes (the conformance
#                                    suite, GpuConformanceTest, GpuBenchmark), JCuda's classes and
#                                    the JUnit console launcher (Main-Class); no DuckDB, no harness
#   gpu-bundle/lib/                  JCuda's driver JNI library, found through java.library.path
#                                    (JCuda's own extraction to java.io.tmpdir is then never used)
#   gpu-bundle/jre/                  a jlink'd JDK 25 with the modules jdeps finds the jar needs
#   gpu-bundle/run.sh                finds libcublas.so.13, runs the suite and the table
#
# Usage: scripts/gpu-bundle.sh          (then carry gpu-bundle and run gpu-bundle/run.sh there)
# The bundle must stay under 64 MiB, the device tool's carry limit; the script fails otherwise.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=../.mvn/find-jdk.sh
. .mvn/find-jdk.sh
out=$root/gpu-bundle
limit=$((64 * 1024 * 1024))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "gpu-bundle: building kernel-api and kernel-gpu (tests compiled, not run) ..." >&2
./mvnw -B -q -pl kernel-gpu -am -DskipTests -DincludeScope=runtime package dependency:copy-dependencies
junit=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml)
./mvnw -B -q -N dependency:copy \
  "-Dartifact=org.junit.platform:junit-platform-console-standalone:$junit" "-DoutputDirectory=$work"

deps=$root/kernel-gpu/target/dependency
jcuda_natives=$(ls "$deps"/jcuda-natives-*-linux-x86_64.jar)
parts=("$work/junit-platform-console-standalone-$junit.jar" "$deps"/jcuda-[0-9]*.jar
       "$root"/kernel-api/target/kernel-api-*[0-9T].jar "$root"/kernel-api/target/kernel-api-*-tests.jar
       "$root"/kernel-gpu/target/kernel-gpu-*[0-9T].jar)

# One jar from all parts; META-INF/services files are concatenated, not overwritten, so that
# ServiceLoader sees both the reference and the GPU provider (what a shade plugin's services
# transformer does). Signatures and module descriptors of the parts do not apply to the merge.
stage=$work/stage
mkdir -p "$stage/META-INF/services" "$work/services"
for part in "${parts[@]}" "$root/kernel-gpu/target/test-classes"; do
  unpacked=$work/part
  rm -rf "$unpacked" && mkdir -p "$unpacked"
  if [ -d "$part" ]; then cp -r "$part/." "$unpacked/"; else (cd "$unpacked" && unzip -q -o "$part"); fi
  if [ -d "$unpacked/META-INF/services" ]; then
    for service in "$unpacked"/META-INF/services/*; do
      cat "$service" >> "$work/services/$(basename "$service")"
      echo >> "$work/services/$(basename "$service")"
    done
    rm -rf "$unpacked/META-INF/services"
  fi
  rm -f "$unpacked"/META-INF/*.SF "$unpacked"/META-INF/*.RSA "$unpacked"/META-INF/*.DSA "$unpacked"/META-INF/MANIFEST.MF
  find "$unpacked" -name module-info.class -delete
  cp -r "$unpacked/." "$stage/"
done
for service in "$work"/services/*; do
  grep -v '^[[:space:]]*\(#.*\)\?$' "$service" | sort -u > "$stage/META-INF/services/$(basename "$service")"
done
# The console launcher's own manifest (Main-Class, engine versions), plus native access for FFM and JNI.
unzip -p "${parts[0]}" META-INF/MANIFEST.MF | tr -d '\r' | sed '/^$/d' > "$work/manifest.txt"
echo "Enable-Native-Access: ALL-UNNAMED" >> "$work/manifest.txt"

rm -rf "$out"
mkdir -p "$out/lib"
jar --create --file "$out/scalekernel-gpu.jar" --manifest "$work/manifest.txt" -C "$stage" .
(cd "$out/lib" && unzip -q -j "$jcuda_natives" 'lib/libJCudaDriver-*.so')

modules=$(jdeps --multi-release 25 --print-module-deps --ignore-missing-deps "$out/scalekernel-gpu.jar")
echo "gpu-bundle: jlink with $modules" >&2
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$out/jre"

cp scripts/gpu-bundle-run.sh "$out/run.sh"
chmod +x "$out/run.sh"

size=$(du -sb "$out" | cut -f1)
echo "gpu-bundle: $out is $((size / 1024 / 1024)) MiB ($size bytes):" >&2
du -sh "$out"/* >&2
if [ "$size" -ge "$limit" ]; then
  echo "gpu-bundle: over the device tool's 64 MiB carry limit" >&2
  exit 1
fi
