# The two commands of the README: `make dist` builds every package, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
# The LTI tool the Common Cartridges link to: `make serve`'s address unless you give your own,
# e.g. `make dist TOOL_URL=https://lti.school.example`.
TOOL_URL ?= http://127.0.0.1:8000
BIN := $(VENV)/bin

.PHONY: dist test lint serve preview clean bench screens fonts

dist: $(VENV)/.runtime
	$(BIN)/stopsexting build --out dist --tool-url $(TOOL_URL)

test: $(VENV)/.test node_modules/.installed chromium
	$(BIN)/ruff check exporter tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

serve: $(VENV)/.runtime
	$(BIN)/stopsexting serve

preview: $(VENV)/.runtime
	$(BIN)/stopsexting preview

bench: $(VENV)/.runtime
	$(BIN)/python bench/build.py

# Contact sheets of every module (dist/screens/<module>.png), taken in Debian's Chromium through Playwright.
screens: $(VENV)/.test chromium fonts
	$(BIN)/stopsexting screens --out dist/screens

$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium; test tools may not download a browser of their own.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The contact sheets' labels are Cyrillic, which Pillow's own font lacks.
# DejaVu for the sheets' Cyrillic labels; Noto Color Emoji so that the chats' emoji show as a phone shows them.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf -a -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fonts-noto-color-emoji; }

clean:
	rm -rf dist $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
