# Packages every part of the suite needs (git is used through its CLI).
command -v git >/dev/null || apt-get install -y -qq git >/dev/null
