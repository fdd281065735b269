"""Drawing a paper certificate as an A4 or A5 PDF with fpdf2 (SPEC §9).

The certificate is a Chinese document whatever the clerk's page language, so its words are Chinese
here, not msgids. Noto Sans CJK SC (Debian's ``fonts-noto-cjk``) is embedded, subset to the
characters used, so the PDF shows the same on any viewer or printer. The QR is drawn as vector
squares at error level M, about 1 mm a module on A4 and 0.75 mm on A5: it scans from a printout or
a photocopy. A5 is A4 scaled by 1/√2, so one layout in A4 millimetres serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
from fpdf import FPDF

FONT_FILES = (
    # (file, index in a collection): index 2 of the Debian collection is Simplified Chinese.
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-SC-Regular.otf"), 0),
)
TITLE = "健康状况证明"
SUBTITLE = "电子健康卡纸质证明"
COLOUR_WORDS = {"green": "绿码", "yellow": "黄码", "red": "红码"}
COLOUR_RGB = {"green": (0, 153, 68), "yellow": (242, 184, 0), "red": (214, 40, 40)}
QR_MM = 72.0
PAPER_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}
"""The paper sizes a clerk can print on, width and height (the layout is drawn for A4)."""
A4_WIDTH = PAPER_SIZES_MM["A4"][0]
NOTICE = "本证明须与本人有效身份证件同时出示；二维码经查验设备核验有效方可通行。"


class FontMissing(RuntimeError):
    """No CJK font to embed: install Debian's fonts-noto-cjk."""


@dataclass(frozen=True)
class CertificateContent:
    """What one certificate says. Times are already in the region's zone."""

    masked_name: str
    masked_document: str
    document_label: str
    colour: str
    issued_at: datetime
    valid_until: datetime
    issuer_name: str
    region_name: str
    hotlines: list[str]
    token: str
    serial: str


def _font() -> tuple[str, int]:
    for path, index in FONT_FILES:
        if path.is_file():
            return str(path), index
    raise FontMissing("no Noto Sans CJK font found; install the Debian package fonts-noto-cjk")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y年%m月%d日 %H:%M")


class _Scaled(FPDF):
    """An FPDF page drawn in A4 millimetres and points, scaled to the real paper."""

    def __init__(self, paper: str):
        super().__init__(format=PAPER_SIZES_MM[paper], unit="mm")
        self.k_layout = PAPER_SIZES_MM[paper][0] / A4_WIDTH

    def at(self, x: float, y: float) -> None:
        self.set_xy(x * self.k_layout, y * self.k_layout)

    def box(self, w: float, h: float, text: str, align: str = "") -> None:
        self.cell(w * self.k_layout, h * self.k_layout, text, align=align)

    def size(self, points: float) -> None:
        self.set_font("cjk", size=points * self.k_layout)


def render_certificate(content: CertificateContent, paper: str = "A4") -> bytes:
    """The certificate as PDF bytes on ``paper`` (a key of :data:`PAPER_SIZES_MM`); CPU work: call
    it in a thread from async code."""
    path, index = _font()
    pdf = _Scaled(paper)
    pdf.set_title(f"{TITLE} {content.serial}")
    pdf.set_creator("healthcode")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.add_page()
    k = pdf.k_layout
    width = A4_WIDTH - 2 * 20

    pdf.size(26)
    pdf.at(20, 22)
    pdf.box(width, 14, TITLE, align="C")
    pdf.size(14)
    pdf.at(20, 37)
    pdf.box(width, 8, f"{content.region_name} · {SUBTITLE}", align="C")

    # The colour band: the colour in words on its own colour, as the phone shows it.
    pdf.set_fill_color(*COLOUR_RGB[content.colour])
    pdf.rect(20 * k, 50 * k, width * k, 18 * k, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.size(22)
    pdf.at(20, 52)
    pdf.box(width, 14, COLOUR_WORDS[content.colour], align="C")
    pdf.set_text_color(0, 0, 0)

    _draw_qr(pdf, content.token, x=(A4_WIDTH - QR_MM) / 2 * k, y=76 * k, side=QR_MM * k)

    rows = [
        ("姓名", content.masked_name),
        (content.document_label, content.masked_document),
        ("健康码状态", COLOUR_WORDS[content.colour]),
        ("开具时间", _when(content.issued_at)),
        ("有效期至", _when(content.valid_until)),
        ("开具人", content.issuer_name),
        ("证明编号", content.serial),
        ("咨询电话", "、".join(content.hotlines)),
    ]
    pdf.size(13)
    y = 76 + QR_MM + 8
    for label, value in rows:
        pdf.at(35, y)
        pdf.box(45, 9, f"{label}：")
        pdf.box(width - 30, 9, value)
        y += 9.5
    pdf.size(10)
    pdf.at(20, y + 6)
    pdf.multi_cell(width * k, 6 * k, NOTICE, align="C")
    return bytes(pdf.output())


def _draw_qr(pdf: FPDF, token: str, *, x: float, y: float, side: float) -> None:
    """The token as a QR at level M, quiet zone included, ``side`` mm wide; dark runs as rectangles."""
    qr = segno.make(token, error="m", micro=False, boost_error=False)
    rows = list(qr.matrix_iter(scale=1, border=4))
    module = side / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        start = None
        for c, dark in enumerate([*row, False]):
            if dark and start is None:
                start = c
            elif not dark and start is not None:
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
                start = None
