"""docs/moulin-api.yaml is a valid OpenAPI 3.1 document, checked by a real validator (not only by what
schemathesis happens to read of it)."""
from pathlib import Path

from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator.readers import read_from_filename

SPEC = Path(__file__).resolve().parents[2] / "docs" / "moulin-api.yaml"


def test_the_moulin_api_document_is_valid_openapi_3_1():
    document, _ = read_from_filename(str(SPEC))
    assert document["openapi"].startswith("3.1.")
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []
