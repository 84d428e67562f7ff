# Sourced by ./mvnw, ./scalekernel and .ci/run: puts a JDK 25 or newer on JAVA_HOME and PATH.
# Order: JAVA_HOME when it is 25+, else the newest /usr/lib/jvm/*25* (or newer) directory.
java_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
sk_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_feature "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    return 0
  fi
  local candidate
  for candidate in $(ls -d /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* 2>/dev/null | sort -rV); do
    if [ -x "$candidate/bin/java" ] && [ "$(java_feature "$candidate")" -ge 25 ] 2>/dev/null; then
      JAVA_HOME=$candidate
      return 0
    fi
  done
  echo "scalekernel needs JDK 25 or newer. JAVA_HOME is '${JAVA_HOME:-unset}' and no /usr/lib/jvm/*25* was found." >&2
  echo "Install one (e.g. Temurin 25) and set JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64." >&2
  return 1
}
sk_find_jdk || exit 1
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
