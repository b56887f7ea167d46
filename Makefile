# Two commands for a fresh Debian machine with Python 3.11:
#   make run    opens the app (simulated exchange when Upbit is unreachable)
#   make test   lint, import contracts and the test suite, offscreen
# Both install what they need and are safe to run again.

VENV   ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=

# Qt's runtime libraries that a minimal Debian lacks (xcb for a screen, EGL/GL,
# fontconfig, xkbcommon, dbus for the platform plugins), and a font with Hangul
# for the markets' Korean names.
QT_DEBS := libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 \
	libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
	libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-xkb1 \
	fonts-dejavu-core fonts-nanum

.PHONY: run test lint install qt-libs clean

run: install qt-libs
	$(PY) main.py $(ARGS)

test: install qt-libs
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

qt-libs:
	@missing=$$(for p in $(QT_DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Qt runtime libraries: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "Qt needs these system libraries; run:"; \
			echo "  sudo apt-get install -y $$missing"; \
		fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
