"""gradebook: students, exams and scanned exam copies (zenboard's demo app)."""
