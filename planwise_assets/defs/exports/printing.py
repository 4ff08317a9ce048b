"""How every sheet prints: landscape, one page wide, its header rows on every page, and a footer
naming the scenario (or the scenarios compared), the batch and the date.

A sponsor often receives the workbooks printed or as PDF. Every sheet of both workbooks goes
through print_setup(); the per-employee sheet, whose part bulk_sheet.py writes itself, takes
the same settings as XML from its openpyxl placeholder (print_xml), so the rule is set once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

# Letter, as US plan sponsors print; set rather than left to the machine's locale, so a
# workbook has the same pages wherever it is printed
PAPER_SIZE = Worksheet.PAPERSIZE_LETTER
PAGE_INCHES = (11.0, 8.5)  # landscape Letter: width, height
MARGINS = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
FOOTER_POINTS = 8
SHEET_AND_PAGE = "&A, page &P of &N"  # the sheet's name, its page and how many it has


@dataclass(frozen=True)
class Footer:
    """What a printed page says at its foot: what it is about, the batch and the day it was made."""

    subject: str
    batch: str
    created_at: str

    @property
    def text(self) -> str:
        # `&` starts a code in a header or footer; a literal one is written twice
        return f"{self.subject} · batch {self.batch} · created {self.created_at[:10]}".replace("&", "&&")


def printable_inches() -> tuple[float, float]:
    """The width and height of a page between its margins."""
    width, height = PAGE_INCHES
    return width - MARGINS.left - MARGINS.right, height - MARGINS.top - MARGINS.bottom


def batch_name(exports_folder: Path) -> str:
    """The batch an export belongs to: the name of its exports folder.

    `planwise batch` writes each batch into its own folder (batch_YYYYMMDD_HHMMSS); an export
    materialized from the UI goes to the exports resource's folder, named the same way.
    """
    return Path(exports_folder).resolve().name


def print_setup(ws: Worksheet, footer: Footer, title_rows: int = 1, fit_to_width: bool = True) -> None:
    """Landscape on Letter, scaled to one page wide (as many pages down as it takes), the first
    `title_rows` rows repeated at the top of every page, and the footer.

    A sheet laid out to fit the page itself (fit_to_width False) prints at 100%: its own page
    breaks then hold, which Excel and LibreOffice ignore on a sheet scaled to fit."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = PAPER_SIZE
    if fit_to_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # no limit: pages follow from the scale that fits the width
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    else:
        ws.page_setup.scale = 100
    ws.page_margins = MARGINS
    if title_rows:
        ws.print_title_rows = f"1:{title_rows}"
    ws.oddFooter.left.text = footer.text
    ws.oddFooter.left.size = FOOTER_POINTS
    ws.oddFooter.right.text = SHEET_AND_PAGE
    ws.oddFooter.right.size = FOOTER_POINTS


def print_xml(ws: Worksheet) -> tuple[str, str]:
    """A worksheet's print settings as SpreadsheetML: the `sheetPr` element (which goes first in
    the sheet's part) and the elements that follow the sheet's data, in the schema's order."""
    after_data = (ws.print_options, ws.page_margins, ws.page_setup, ws.HeaderFooter)
    return (
        tostring(ws.sheet_properties.to_tree()).decode(),
        "".join(tostring(part.to_tree()).decode() for part in after_data),
    )
