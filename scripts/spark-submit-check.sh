#!/usr/bin/env bash
# Checks the spark-submit jar the way a cluster runs it, with no Spark distribution installed:
# org.apache.spark.deploy.SparkSubmit (what spark-submit runs) with the Spark jars on the class path
# as a distribution's jars/ directory holds them (Jackson 2.21, jackson-annotations 2.21 in front),
# the jar in its own class loader, on a local-cluster master: a standalone Master and two Workers whose
# executors are separate JVMs that fetch the jar. Then compares every row with the local runner's.
# Takes a minute or two; downloads nothing that `./mvnw -Pspark` has not.  Usage: scripts/spark-submit-check.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../.mvn/find-jdk.sh
. "$root/.mvn/find-jdk.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building harness/target/scalekernel-spark.jar ..." >&2
(cd "$root" && ./mvnw -B -q -Pspark -pl harness -am package -DskipTests)

spark_version=$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$root/pom.xml")
scala=$(sed -n 's:.*<scala.binary.version>\(.*\)</scala.binary.version>.*:\1:p' "$root/pom.xml")
cat > "$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>spark-distribution-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_$scala</artifactId><version>$spark_version</version></dependency>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-sql_$scala</artifactId><version>$spark_version</version></dependency>
  </dependencies>
</project>
EOF
(cd "$root" && ./mvnw -B -q -f "$work/pom.xml" dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt")
# A SPARK_HOME the Workers can launch executors from: jars/ and the RELEASE marker of a distribution.
mkdir -p "$work/spark/jars"
tr ':' '\n' < "$work/classpath.txt" | while read -r jar; do ln -s "$jar" "$work/spark/jars/"; done
touch "$work/spark/RELEASE"
export SPARK_HOME="$work/spark" SPARK_SCALA_VERSION="$scala"

flags="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
sweep=(run smoke --backend cpu --threads 1 --set N=8,24 --set P=16 --set M=12 --set steps=50 --set test=64)
echo "spark-submit --master local-cluster[2,1,1024] ..." >&2
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" $flags -cp "$(cat "$work/classpath.txt")" org.apache.spark.deploy.SparkSubmit \
    --master 'local-cluster[2,1,1024]' --conf spark.ui.enabled=false \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf "spark.executor.extraJavaOptions=$flags" \
    "$root/harness/target/scalekernel-spark.jar" "${sweep[@]}" --runner spark --out "$work/spark-run" \
    2> "$work/spark.log" | tee "$work/spark.out" || { tail -40 "$work/spark.log" >&2; exit 1; }
"$root/scalekernel" "${sweep[@]}" --out "$work/local-run" > /dev/null 2>&1

# Every column but timing and provenance of place, sorted, must be identical. The last column, version,
# is the only one with a comma in it ("scalekernel dev, java ..."): fields past the header's count are its.
stable() {
    "$root/scalekernel" export "$1" --format csv --to "$1.csv" > /dev/null 2>&1
    awk -F, 'NR == 1 { n = NF; for (i = 1; i <= NF; i++) drop[i] = ($i ~ /^(wall_s|finished_at|host|version)$/) }
             { line = ""; for (i = 1; i <= NF; i++) if (i <= n && !drop[i]) line = line $i ","; print line }' "$1.csv" | sort
}
if diff <(stable "$work/local-run") <(stable "$work/spark-run") > "$work/diff"; then
    echo "OK: $(($(wc -l < "$work/local-run.csv") - 1)) rows from spark-submit on local-cluster equal the local runner's"
else
    echo "FAILED: the Spark run's rows differ from the local runner's:" >&2
    head -20 "$work/diff" >&2
    exit 1
fi
