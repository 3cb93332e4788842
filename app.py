"""Start the chat UI: `python app.py` (or `make run`), then open the address it prints.

Builds the index first when it is missing or stale, then serves the Gradio app on
Settings.host:Settings.port (BRIEFQA_HOST / BRIEFQA_PORT; 127.0.0.1:7860 by default).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _progress(label: str, done: int, total: int) -> None:
    if total:
        end = "\n" if done >= total else ""
        print(f"\r  embedding {label}: {done}/{total} ({100 * done // total}%)", end=end, file=sys.stderr, flush=True)


def main() -> int:
    from pydantic import ValidationError

    from briefqa.settings import Settings, configure_offline

    configure_offline()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("briefqa").setLevel(logging.INFO)
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "BRIEFQA_" + str(first["loc"][0]).upper() if first.get("loc") else "a BRIEFQA_ setting"
        print(f"Error: {name}: {first['msg']}", file=sys.stderr)
        return 5

    import briefqa
    from briefqa.errors import BriefqaError
    from briefqa.worker import AssistantProcess

    # SIGTERM (a service manager, `kill`) ends the app like Ctrl-C: the answering process is shut down too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.perf_counter()
    engine: AssistantProcess | None = None
    try:
        from briefqa.index import is_fresh

        if not is_fresh(settings):
            print(f"Building the index from {settings.corpus_dir} …", file=sys.stderr, flush=True)
            report = briefqa.ingest(settings, progress=_progress)
            print(f"Index {report.identity}: {report.passages} passages ready.", file=sys.stderr, flush=True)
        # The model and index load (and answer once) in a child process while Gradio starts here: on two cores
        # the two start-ups overlap. The page opens when both are ready, so the first question is as fast as
        # the next ones.
        engine = AssistantProcess(settings)
        from briefqa import ui

        app = ui.build_app(settings, engine)
        engine.wait_ready()
        try:
            _, url, _ = app.launch(prevent_thread_lock=True, quiet=True, **ui.launch_kwargs(settings))
        except OSError as exc:
            print(
                f"Error: cannot serve on {settings.host}:{settings.port} ({exc}); set BRIEFQA_PORT to a free port.",
                file=sys.stderr,
            )
            engine.close()
            return 5
    except BriefqaError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        if engine is not None:
            engine.close()
        return exc.exit_code
    print(f"briefqa is ready after {time.perf_counter() - started:.1f} s: open {url} in your browser.", flush=True)
    try:
        app.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
