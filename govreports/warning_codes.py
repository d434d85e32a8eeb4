"""What each parser warning code means: the list to read `warnings.code` (warnings.csv, the
`warnings` table, the parse JSON) by, exported beside them as warning_codes.csv.

A code names a kind of problem; a warning's `where` says where (`source`, `tables`, `page N`,
`header.<key>`, `report_year`, `<table>.<row>[.<col>]`, with `attachment.` in front when it was
met in an attachment) and its `message` says what, in words; `raw` keeps the published text
concerned. `effect` says what it means for the report's figures:

- `nothing_read`: the file (or the part named) gave no text or cells at all;
- `part_read`: some of it was read, the rest is missing: absent cells are unknown, not zero;
- `cells_left_out`: the named cells or rows were not stored (kept in `raw`), the others are
  sound;
- `cells_inferred`: values were filled from the form's identities (`cells.inferred` is true);
- `read_with_care`: the stored values are what the report says, but compare them with care;
- `header`: the title, year or a header field, not the figures.

tests/test_warning_codes.py checks that every code the parser can emit is here, and that
nothing here is a code it no longer emits.
"""
from __future__ import annotations

EFFECTS = ("nothing_read", "part_read", "cells_left_out", "cells_inferred", "read_with_care", "header")

# code: (effect, meaning)
WARNING_CODES: dict[str, tuple[str, str]] = {
    # --- the file as a whole ---------------------------------------------------------------
    "unsupported_format": ("nothing_read", "A format the parser has no reader for (Word 6/95, "
                           "WPS 2000, OFD, a file that is not what its name says); a DOCX or "
                           "PDF copy is needed."),
    "unreadable": ("nothing_read", "The file, or the page named, could not be read: damaged, cut "
                   "short, not what it claims to be, or refused as unsafe (an XML entity "
                   "declaration, a part inflating past the limits)."),
    "encrypted": ("nothing_read", "A password-protected or encrypted Word file."),
    "too_large": ("nothing_read", "Over a size limit (the body, a sheet's cells, the text of a "
                  "Word file, PDF streams that would inflate past 32 MB each): refused, not read. "
                  "For PDF streams, the rest of the file is read."),
    "truncated": ("part_read", "Reading stopped at a limit (pages, characters, seconds; or one "
                  "page cut at 50,000 characters): the rest is not read."),
    "pdf_damaged": ("part_read", "The PDF reader met errors in the file: text or table rulings "
                    "may be missing where it did."),
    "unmapped_glyphs": ("part_read", "PDF characters whose font has no Unicode mapping read as "
                        "(cid:N): labels or numbers there cannot be read."),
    "tables_skipped": ("part_read", "A PDF page with so many line segments (a drawing) that no "
                       "table was looked for on it; its text is read as prose."),
    "doc_table_grid_unknown": ("part_read", "The Word file's paragraph properties could not be "
                               "read, so its table rows are unknown; the cells were read as lines "
                               "of text."),
    "tables_are_images": ("nothing_read", "The statistics are pictures (a scan, images in place "
                          "of tables): nothing to read without OCR."),
    "pdf_viewer_only": ("nothing_read", "The page shows the report in a PDF viewer and has no "
                        "table of its own: the figures are in that PDF."),
    "no_tables": ("nothing_read", "No statistical table was found in the report or its "
                  "attachments."),
    "tables_from_attachment": ("read_with_care", "The page had no table; the cells come from "
                               "the attachment named."),
    "attachment_disagrees": ("read_with_care", "The report's figures are published twice (the "
                             "page and an attachment, or two attachments) and the copy named "
                             "gives other values for some cells; raw lists them, stored value "
                             "first. Only the copy named as stored is in the cells. Either the "
                             "publisher's copies differ or one was misread (a PDF's tables most "
                             "often): look at both files before using these cells."),
    "attachment_cells_unused": ("cells_left_out", "An attachment has table cells that the copy "
                                "stored lacks (another table, or another report attached to the "
                                "same page); raw lists them. They are not stored."),
    "span_clamped": ("read_with_care", "An HTML cell's rowspan/colspan reached past the table "
                     "and was cut to its size."),
    # --- the official tables ---------------------------------------------------------------
    "mixed_template": ("read_with_care", "Labels of both the 2019 and the 2021 forms; the era "
                       "with more of them was taken."),
    "label_variant": ("read_with_care", "A row label with a typo or small rewording, read as "
                      "the official row of the same group and number."),
    "label_ambiguous": ("read_with_care", "A pre-2019 label that counts more than one kind of "
                        "case; stored under the key named. Read the label before comparing."),
    "row_out_of_block": ("read_with_care", "A row of table 二 found under another block than "
                         "the form puts it in."),
    "legacy_year_mismatch": ("read_with_care", "A pre-2019 statistics column for another year "
                             "than the report's."),
    "row_incomplete": ("cells_left_out", "Fewer numbers than columns: which cell is missing "
                       "cannot be told, so none is assigned (raw kept). Where one completion "
                       "alone satisfies the row total, the row is filled and marked inferred "
                       "(cells_inferred)."),
    "row_overfull": ("cells_left_out", "More numbers than columns: none assigned (raw kept)."),
    "cells_concatenated": ("cells_left_out", "Numbers run together with each other or with "
                           "the label, with no way to split them: nothing extracted."),
    "cells_split_inferred": ("cells_inferred", "Pre-2019 cells run together, split the one way "
                             "the row's figures allow; the split is an inference."),
    "extra_row": ("cells_left_out", "A row not on the official form (a local 小计, a comment "
                  "line): kept as this warning with its numbers, not stored as cells."),
    "duplicate_row": ("cells_left_out", "A row that appears twice: the first is stored, the "
                      "second kept here."),
    "columns_unknown": ("cells_left_out", "No usable column header for the row or table: its "
                        "numbers are not assigned."),
    "header_duplicate_column": ("cells_left_out", "A column named twice in a header of table "
                                "二: the second is not used."),
    "unit_unknown": ("cells_left_out", "A money figure with no unit (元 or 万元): value left "
                     "null, raw kept."),
    # --- figures stated in the text --------------------------------------------------------
    "text_ambiguous": ("cells_left_out", "The text states several different figures for one "
                       "cell: none stored."),
    "text_table_differs": ("read_with_care", "The text and the table disagree on a figure; "
                           "the table's is kept."),
    # --- header, title, year ----------------------------------------------------------------
    "date_unparsed": ("header", "A header date (成文日期, 发布日期) that is not a date; the text "
                      "stays in header_raw."),
    "title_missing": ("header", "No title naming an annual report was found."),
    "year_from_text": ("header", "The report year was taken from the text, not the title."),
    "year_unknown": ("header", "No report year in the title or the text."),
}


def rows() -> list[dict[str, str]]:
    """warning_codes.csv: one row per code, in the order above."""
    return [{"code": code, "effect": effect, "meaning": meaning}
            for code, (effect, meaning) in WARNING_CODES.items()]
