"""The path converter for a project's code in a URL (`<project_code:code>`): it carries every code a row may
hold, including one stored before models.validate_project_code (a slash, a percent sign, only dots), so that
reverse() never fails and a list showing such a project does not answer 500.

to_url escapes "%" and "/" (and the dots of a code made only of dots, which a browser would resolve as "here"
or "up"); reverse() then percent-encodes the escape once more, the server decodes once, and to_python reads
the escape back. A valid code holds none of these, so its address is exactly what it was with <str:code>.
"""

from __future__ import annotations

import re

ESCAPED = re.compile(r"%(25|2F|2E)", re.IGNORECASE)


class ProjectCodeConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return ESCAPED.sub(lambda m: chr(int(m[1], 16)), value)

    def to_url(self, value: str) -> str:
        escaped = value.replace("%", "%25").replace("/", "%2F")
        if escaped and set(escaped) == {"."}:
            escaped = escaped.replace(".", "%2E")
        return escaped
