"""API shapes of a police feed import."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RowError(BaseModel):
    row: int = Field(description="The row in a spreadsheet (the header is row 1).")
    column: str | None = Field(description="The column at fault; null when the row as a whole is.")
    problem: str = Field(description="What is wrong. Never the value.")


class ImportedRow(BaseModel):
    row: int
    reference: str = Field(description="The new referral's reference.")


class ImportSummary(BaseModel):
    rows: int = Field(description="Data rows read (blank lines are not counted).")
    imported: int
    duplicates: int = Field(description="Rows whose crime reference was already imported, or repeated.")
    errors: int = Field(description="Rows refused; each has one or more entries in `row_errors`.")
    imported_rows: list[ImportedRow]
    duplicate_rows: list[int]
    row_errors: list[RowError]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": 3,
                    "imported": 1,
                    "duplicates": 1,
                    "errors": 1,
                    "imported_rows": [{"row": 2, "reference": "SR-7KQ4-M2XD"}],
                    "duplicate_rows": [4],
                    "row_errors": [{"row": 3, "column": "telephone", "problem": "not a valid phone number"}],
                }
            ]
        }
    )
