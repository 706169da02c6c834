"""The Dataverse Web API's error answers, one function each (reference B.4, B.7–B.9).

Shape (B.9): ``{"error":{"code":"0x…","message":"…"}}``; with ``Prefer:
odata.include-annotations="*"`` the ``@Microsoft.PowerApps.CDS.…`` details are added.

From Microsoft's "Web service error codes" list (powerapps-docs ``data-service-errors.md``),
name, code and text as listed (``{0}`` filled in):

- ObjectDoesNotExist ``0x80040217`` 404 "lead With Id = <id> Does Not Exist" (B.4's text; its
  doc sample has an empty code, the service sends this one);
- RecordNotFoundByEntityKey ``0x80060891`` 404, DuplicateRecordEntityKey ``0x80060892`` 412
  (on POST the listed "Entity Key … violated …", on ``If-None-Match: *`` B.4's "A record with
  matching key values already exists."), ConcurrencyVersionMismatch ``0x80060882`` 412,
  EntityKeyNotDefined ``0x80060890`` 400, DuplicateRecord ``0x80040237`` 412 (an id taken);
- ThrottlingBurstRequestLimitExceededError ``0x80072322``, ThrottlingTimeExceededError
  ``0x80072321``, ThrottlingConcurrencyLimitExceededError ``0x80072326`` (429, B.8);
- AccessTokenExpired ``0x8005F101`` and RequestIsNotAuthenticated ``0x80044302`` (401);
- RequiredFieldMissing ``0x80040200``, the validation error ``0x80044331`` with B.7's length
  text, ``0x80048408`` for a status that does not fit the state (B.3), UnExpected ``0x80040216``.

The stand-in's choices where no source fixes the answer: ``0x80060888`` for OData-level
refusals (unknown property — B.6 marks the code unverified —, bad segment, query or batch);
``0x80048d19`` "Error identified in Payload …" for a value of the wrong JSON type, with the
column's name added; ``0x8004431A`` "… is outside the valid range" for a number out of range or
not an option; ``0x80072560`` "The user is not a member of the organization." for an app with
no application user; PrivilegeDenied ``0x80040220`` for one without a role; an inactive key
is "not a defined key", as the service knows only Active keys.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DataverseError"]

PAYLOAD_HELP = "https://go.microsoft.com/fwlink/?linkid=2195293"
_REASONS = {304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 412: "Precondition Failed", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


class DataverseError(Exception):
    """An error answer of the Web API: HTTP status, hex code, message, extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def body(self, *, annotations: bool = False) -> dict[str, Any]:
        """The JSON body; ``annotations`` adds the details ``odata.include-annotations="*"`` asks for."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if annotations:
            error.update({
                "@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus": "0",
                "@Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode": "-2146233088",
                "@Microsoft.PowerApps.CDS.HelpLink":
                    f"http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a{self.code}"
                    "&client=platform",
                "@Microsoft.PowerApps.CDS.TraceText": "",
                "@Microsoft.PowerApps.CDS.InnerError.Message": self.message,
            })
        return {"error": error}


def reason(status: int) -> str:
    """The reason phrase of a status line (``HTTP/1.1 412 Precondition Failed``)."""
    return {200: "OK", 201: "Created", 204: "No Content", **_REASONS}.get(status, "Unknown")


# --- not found, keys, concurrency -------------------------------------------------------

def not_found(entity: str, record_id: str) -> DataverseError:
    return DataverseError(404, "0x80040217", f"{entity} With Id = {record_id} Does Not Exist")


def key_not_found(entity: str) -> DataverseError:
    return DataverseError(404, "0x80060891", f"A record with the specified key values does not exist in {entity} entity")


def key_not_defined(entity: str) -> DataverseError:
    return DataverseError(400, "0x80060890", f"The specified key attributes are not a defined key for the {entity} entity")


def duplicate_key(key: str, attributes: str) -> DataverseError:
    return DataverseError(412, "0x80060892",
                          f"Entity Key {key} violated. A record with the same value for {attributes} already exists. "
                          "A duplicate record cannot be created. Select one or more unique values and try again.")


def duplicate_id(entity: str, record_id: str) -> DataverseError:
    """POST with a primary key that is taken (B.4: ``0x80040237`` DuplicateRecord)."""
    return DataverseError(412, "0x80040237", f"Cannot insert duplicate key: a {entity} with Id = {record_id} "
                                             "already exists.")


def already_exists() -> DataverseError:
    return DataverseError(412, "0x80060892", "A record with matching key values already exists.")


def version_mismatch() -> DataverseError:
    return DataverseError(412, "0x80060882", "The version of the existing record doesn't match the RowVersion "
                                             "property provided.")


# --- payload and query validation --------------------------------------------------------

def unknown_property(name: str, type_name: str) -> DataverseError:
    return DataverseError(400, "0x80060888", f"Could not find a property named '{name}' on type '{type_name}'.")


def undeclared_navigation(name: str) -> DataverseError:
    return DataverseError(400, "0x80060888",
                          f"An undeclared property '{name}' which only has property annotations in the payload but "
                          "no property value was found in the payload. In OData, only declared navigation properties "
                          "and declared named streams can be represented as properties without values.")


def wrong_type(entity_set: str, column: str, value: Any, edm_type: str) -> DataverseError:
    return DataverseError(400, "0x80048d19",
                          f"Error identified in Payload provided by the user for Entity :'{entity_set}', For more "
                          f"information on this error please follow this help link {PAYLOAD_HELP}  ---->  "
                          f"InnerException : Microsoft.OData.ODataException: Cannot convert the literal '{value}' "
                          f"to the expected type '{edm_type}' (property '{column}').")


def too_long(entity: str, column: str, limit: int) -> DataverseError:
    return DataverseError(400, "0x80044331",
                          f"A validation error occurred.  The length of the '{column}' attribute of the '{entity}' "
                          f"entity exceeded the maximum allowed length of '{limit}'.")


def out_of_range(entity: str, column: str, value: Any, accepted: str) -> DataverseError:
    return DataverseError(400, "0x8004431A",
                          f"A validation error occurred. The value {value} of '{column}' on record of type "
                          f"'{entity}' is outside the valid range. Accepted Values: {accepted}")


def bad_email(entity: str, column: str, value: str) -> DataverseError:
    return DataverseError(400, "0x80044331",
                          f"A validation error occurred.  The value '{value}' of the '{column}' attribute of the "
                          f"'{entity}' entity is not a valid e-mail address.")


def bad_status(status: int, state_name: str, entity: str, record_id: str) -> DataverseError:
    return DataverseError(400, "0x80048408", f"{status} is not a valid status code for state code "
                                             f"{state_name} on {entity} with Id {record_id}.")


def required(entity: str, column: str) -> DataverseError:
    return DataverseError(400, "0x80040200", f"Required field missing. The '{column}' attribute of the '{entity}' "
                                             "entity must have a value when a record is created.")


def bad_request(message: str) -> DataverseError:
    """An OData-level refusal: malformed JSON, URL, query option or batch."""
    return DataverseError(400, "0x80060888", message)


def no_segment(segment: str) -> DataverseError:
    return DataverseError(404, "0x80060888", f"Resource not found for the segment '{segment}'.")


def method_not_allowed(method: str, path: str) -> DataverseError:
    return DataverseError(405, "0x80060888", f"The HTTP method '{method}' is not allowed for '{path}'.")


# --- who is calling --------------------------------------------------------------------

def unauthenticated(reason_: str, challenge: str) -> DataverseError:
    """401: an expired or revoked token is ``AccessTokenExpired``; a missing or bad one is not authenticated."""
    if reason_ in ("expired", "revoked"):
        error = DataverseError(401, "0x8005F101", "The requested resource requires authentication.")
    else:
        error = DataverseError(401, "0x80044302", "Request is not authenticated.")
    error.headers["WWW-Authenticate"] = challenge
    return error


def not_a_member() -> DataverseError:
    return DataverseError(403, "0x80072560", "The user is not a member of the organization.")


def privilege_denied(user_id: str, privilege: str, entity: str) -> DataverseError:
    return DataverseError(403, "0x80040220",
                          f"Principal user (Id={user_id}, type=8, roleCount=0, privilegeCount=0, accessMode=4), "
                          f"is missing {privilege} privilege on OTC=4 for entity '{entity}'.")


# --- service protection (B.8) -------------------------------------------------------------

def too_many_requests(limit: int, window: int, retry_after: int) -> DataverseError:
    return _throttled("0x80072322", f"Number of requests exceeded the limit of {limit} over time window of "
                                    f"{window} seconds.", retry_after)


def too_much_time(limit_ms: int, window: int, retry_after: int) -> DataverseError:
    return _throttled("0x80072321", f"Combined execution time of incoming requests exceeded limit of {limit_ms:,} "
                                    f"milliseconds over time window of {window} seconds. Decrease number of "
                                    "concurrent requests or reduce the duration of requests and try again later.",
                      retry_after)


def too_many_concurrent(limit: int, retry_after: int) -> DataverseError:
    return _throttled("0x80072326", f"Number of concurrent requests exceeded the limit of {limit}.", retry_after)


def _throttled(code: str, message: str, retry_after: int) -> DataverseError:
    return DataverseError(429, code, message, {"Retry-After": str(retry_after)})


def unavailable(status: int) -> DataverseError:
    """An injected 5xx (fault plan)."""
    if status == 503:
        return DataverseError(503, "0x80040216", "The service is temporarily unavailable. Try again later.")
    return DataverseError(status, "0x80040216", "An unexpected error occurred.")
