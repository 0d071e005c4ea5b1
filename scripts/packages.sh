# Sourced by the scripts: installs the Debian packages given that are not installed yet, saying which.
#   install_missing [--why TEXT] PACKAGE...
#   missing_packages PACKAGE...      prints those of them that are not installed, one per line
missing_packages() {
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
    done
}

install_missing() {
    local why=""
    if [ "${1:-}" = "--why" ]; then why=" ($2)"; shift 2; fi
    local missing=()
    mapfile -t missing < <(missing_packages "$@")
    [ ${#missing[@]} -gt 0 ] || return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing${why}: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
