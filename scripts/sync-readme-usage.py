#!/usr/bin/env python3
"""Developer helper: replace each tool's usage block in README.md with the
tool's --help output (a test pins the two together). Needs a release build."""
import re, subprocess, pathlib
root = pathlib.Path(__file__).resolve().parent.parent
readme = (root / "README.md").read_text()
for tool in ["mtif-data", "mtif-train", "mtif-eval", "mtif-grad", "mtif-ihvp", "mtif-influence", "mtif-select", "mtif-bench", "mtif-relate"]:
    binary = root / ".build/release" / tool
    if not binary.exists():
        continue
    help_text = subprocess.run([str(binary), "--help"], capture_output=True, text=True).stdout
    pattern = re.compile(r"```\nusage: " + re.escape(tool) + r" .*?```\n", re.S)
    readme, n = pattern.subn(lambda _: "```\n" + help_text + "```\n", readme, count=1)
    print(f"{tool}: {'updated' if n else 'no usage block in README.md'}")
(root / "README.md").write_text(readme)
