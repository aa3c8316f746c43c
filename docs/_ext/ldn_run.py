"""Sphinx directive ``ldn-run``: execute Python at build time and show code and output.

Every block of a page runs in one namespace (per page, in order), with the
repository root as the working folder, so tutorials compute their numbers from
the demo trials and the reference data when the site is built and cannot go
stale. An exception fails the build (a Sphinx error, fatal under ``-W``).

Options: ``:hide-code:`` (show only the output), ``:rst:`` (parse the printed
output as reStructuredText, for generated tables), ``:figure: NAME`` (save the
current matplotlib figure as ``_generated/NAME.png`` and show it).
"""

from __future__ import annotations

import contextlib
import io
import os
import traceback
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

ROOT = Path(__file__).resolve().parents[2]


class LdnRun(Directive):
    has_content = True
    option_spec = {"hide-code": directives.flag, "rst": directives.flag,
                   "figure": directives.unchanged, "alt": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        ns = env.temp_data.setdefault("ldn_run_namespace", {"__name__": "__ldn_docs__"})
        code = "\n".join(self.content)
        out = io.StringIO()
        cwd = os.getcwd()
        try:
            os.chdir(ROOT)
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"<{env.docname}: ldn-run line {self.lineno}>", "exec"), ns)
        except Exception:  # noqa: BLE001 - reported as a build error with the traceback
            raise self.error(f"ldn-run failed in {env.docname}:\n{traceback.format_exc()}")
        finally:
            os.chdir(cwd)
        result: list[nodes.Node] = []
        if "hide-code" not in self.options:
            block = nodes.literal_block(code, code)
            block["language"] = "python"
            result.append(block)
        text = out.getvalue()
        if "rst" in self.options:
            from sphinx.util.nodes import nested_parse_with_titles

            container = nodes.section()
            container.document = self.state.document
            nested_parse_with_titles(self.state, StringList(text.splitlines(),
                                                            source=env.docname), container)
            result.extend(container.children)
        elif text.strip():
            block = nodes.literal_block(text, text)
            block["language"] = "none"
            block["classes"].append("ldn-output")
            result.append(block)
        if "figure" in self.options:
            import matplotlib.pyplot as plt

            name = self.options["figure"]
            target = Path(env.srcdir) / "_generated" / f"{name}.png"
            target.parent.mkdir(exist_ok=True)
            plt.gcf().savefig(target, dpi=90, metadata={"Software": None})
            plt.close("all")
            image = nodes.image(uri=f"/_generated/{name}.png",
                                alt=self.options.get("alt", name))
            result.append(image)
        return result


def _inline_math(self, node):  # noqa: ANN001, ANN202 - Sphinx visitor protocol
    from html import escape

    self.body.append(f'<code class="math">{escape(node.astext())}</code>')
    raise nodes.SkipNode


def _block_math(self, node):  # noqa: ANN001, ANN202 - Sphinx visitor protocol
    from html import escape

    self.body.append(f'<pre class="math">{escape(node.astext())}</pre>')
    raise nodes.SkipNode


def setup(app):  # noqa: ANN001, ANN201 - the Sphinx extension protocol
    app.add_directive("ldn-run", LdnRun)
    # formulas as TeX source: no MathJax from a CDN, so the site works offline
    app.add_html_math_renderer("tex-source", (_inline_math, None), (_block_math, None))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
