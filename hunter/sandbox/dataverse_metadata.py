"""Metadata of the Dataverse stand-in: CSDL ``$metadata`` and the ``EntityDefinitions`` JSON.

Faithful in shape to the Web API: ``$metadata`` is CSDL (``edmx:Edmx`` 4.0, namespace
``Microsoft.Dynamics.CRM`` alias ``mscrm``) with ``EntityType Name="lead"``, its ``Key``, one
``Property`` per column (``Edm.String`` with ``Unicode="false"`` and, like the service, no
``MaxLength``), Active alternate keys as the ``OData.Community.Keys.V1.AlternateKeys``
annotation, the ``leads`` entity set and the ``WhoAmI`` function.  ``EntityDefinitions``
answers ``EntityMetadata`` with ``Attributes`` (``AttributeMetadata`` and its derived types
``#Microsoft.Dynamics.CRM.StringAttributeMetadata`` … with ``AttributeType``,
``AttributeTypeName: {"Value": "StringType"}``, ``MaxLength``, ``Format``/``FormatName``,
``MinValue``/``MaxValue``, ``RequiredLevel``) and ``Keys`` (``EntityKeyMetadata`` with
``KeyAttributes`` and ``EntityKeyIndexStatus``), honouring ``$select``, ``$expand`` with nested
``$select``/``$filter``, a type cast (``Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata``)
and ``Attributes(LogicalName='x')``.  As in the service, ``$select`` on the ``Attributes``
collection knows the base type's properties only; a cast unlocks the derived ones.

Only the lead table exists; a fraction of the real properties is rendered (the ones a
client checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from xml.etree import ElementTree as ET

from hunter.sandbox import dataverse_errors as errors
from hunter.sandbox.dataverse_schema import Column, EntityKey, LeadSchema, metadata_id
from hunter.sandbox.odata import Kind, ODataError, parse_filter

__all__ = ["attribute", "attributes", "csdl", "entity", "keys", "split_options"]

NS = "Microsoft.Dynamics.CRM"
_METADATA_TYPES = {"String": "StringAttributeMetadata", "Memo": "MemoAttributeMetadata",
                   "Integer": "IntegerAttributeMetadata", "Picklist": "PicklistAttributeMetadata",
                   "State": "StateAttributeMetadata", "Status": "StatusAttributeMetadata",
                   "Uniqueidentifier": "UniqueIdentifierAttributeMetadata", "DateTime": "DateTimeAttributeMetadata",
                   "BigInt": "BigIntAttributeMetadata"}
_BASE = ("MetadataId", "LogicalName", "SchemaName", "EntityLogicalName", "AttributeType", "AttributeTypeName",
         "IsCustomAttribute", "IsPrimaryId", "IsPrimaryName", "IsValidForCreate", "IsValidForRead",
         "IsValidForUpdate", "IsValidODataAttribute", "RequiredLevel", "AttributeOf", "DisplayName")
_ENTITY = ("MetadataId", "LogicalName", "SchemaName", "EntitySetName", "LogicalCollectionName",
           "CollectionSchemaName", "PrimaryIdAttribute", "PrimaryNameAttribute", "ObjectTypeCode",
           "IsCustomEntity", "OwnershipType", "DisplayName")
_KEY = ("MetadataId", "LogicalName", "SchemaName", "EntityLogicalName", "KeyAttributes", "EntityKeyIndexStatus",
        "IsManaged", "DisplayName")
_ATTRIBUTE_FILTER: dict[str, Kind] = {"LogicalName": "string", "SchemaName": "string", "AttributeType": "string",
                                      "EntityLogicalName": "string"}


# --- CSDL ----------------------------------------------------------------------------------

def csdl(schema: LeadSchema) -> bytes:
    """The ``$metadata`` document (``application/xml``)."""
    edmx = ET.Element("edmx:Edmx", {"Version": "4.0", "xmlns:edmx": "http://docs.oasis-open.org/odata/ns/edmx"})
    root = ET.SubElement(ET.SubElement(edmx, "edmx:DataServices"), "Schema",
                         {"Namespace": NS, "Alias": "mscrm", "xmlns": "http://docs.oasis-open.org/odata/ns/edm"})
    ET.SubElement(root, "EntityType", {"Name": "crmbaseentity", "Abstract": "true", "OpenType": "true"})
    entity_type = ET.SubElement(root, "EntityType", {"Name": schema.entity, "BaseType": "mscrm.crmbaseentity"})
    ET.SubElement(ET.SubElement(entity_type, "Key"), "PropertyRef", {"Name": schema.primary_id})
    for column in schema.columns:
        extra = {"Unicode": "false"} if column.edm_type == "Edm.String" else {}
        ET.SubElement(entity_type, "Property", {"Name": column.name, "Type": column.edm_type, **extra})
    _alternate_keys(entity_type, [key for key in schema.keys if key.active])
    who = ET.SubElement(root, "ComplexType", {"Name": "WhoAmIResponse"})
    for name in ("BusinessUnitId", "UserId", "OrganizationId"):
        ET.SubElement(who, "Property", {"Name": name, "Type": "Edm.Guid", "Nullable": "false"})
    function = ET.SubElement(root, "Function", {"Name": "WhoAmI"})
    ET.SubElement(function, "ReturnType", {"Type": "mscrm.WhoAmIResponse", "Nullable": "false"})
    container = ET.SubElement(root, "EntityContainer", {"Name": "System"})
    ET.SubElement(container, "EntitySet", {"Name": schema.entity_set, "EntityType": f"{NS}.{schema.entity}"})
    ET.SubElement(container, "FunctionImport", {"Name": "WhoAmI", "Function": f"{NS}.WhoAmI"})
    return ET.tostring(edmx, encoding="utf-8", xml_declaration=True)


def _alternate_keys(parent: ET.Element, active: list[EntityKey]) -> None:
    if not active:
        return
    records = ET.SubElement(ET.SubElement(parent, "Annotation", {"Term": "OData.Community.Keys.V1.AlternateKeys"}),
                            "Collection")
    for key in active:
        record = ET.SubElement(records, "Record", {"Type": "OData.Community.Keys.V1.AlternateKey"})
        refs = ET.SubElement(ET.SubElement(record, "PropertyValue", {"Property": "Key"}), "Collection")
        for name in key.attributes:
            ref = ET.SubElement(refs, "Record", {"Type": "OData.Community.Keys.V1.PropertyRef"})
            ET.SubElement(ref, "PropertyValue", {"Property": "Alias", "String": name})
            ET.SubElement(ref, "PropertyValue", {"Property": "Name", "PropertyPath": name})


# --- EntityDefinitions ---------------------------------------------------------------------

def entity(schema: LeadSchema, context: str, options: dict[str, str]) -> dict[str, Any]:
    """``EntityDefinitions(LogicalName='lead')`` with ``$select`` and ``$expand=Attributes(…),Keys(…)``."""
    body = _pick(_entity_fields(schema), options.get("$select"), _ENTITY, "EntityMetadata")
    for name, inner in _expansions(options.get("$expand", "")):
        if name == "Attributes":
            body["Attributes"] = _attribute_values(schema, None, inner)
        elif name == "Keys":
            body["Keys"] = [_pick(_key_fields(schema, key), inner.get("$select"), _KEY, "EntityKeyMetadata")
                            for key in schema.keys]
        else:
            raise errors.unknown_property(name, f"{NS}.EntityMetadata")
    return {"@odata.context": context, **body}


def attributes(schema: LeadSchema, context: str, options: dict[str, str], cast: str | None = None) -> dict[str, Any]:
    """``EntityDefinitions(…)/Attributes`` (optionally ``/Microsoft.Dynamics.CRM.<Type>AttributeMetadata``)."""
    return {"@odata.context": context, "value": _attribute_values(schema, cast, options)}


def attribute(schema: LeadSchema, name: str, context: str, options: dict[str, str]) -> dict[str, Any]:
    """``EntityDefinitions(…)/Attributes(LogicalName='x')``; 404 when the column is not there."""
    column = schema.column(name)
    if column is None:
        raise errors.DataverseError(404, "0x80040217", f"Could not find attribute with logical name '{name}' "
                                                       f"on entity '{schema.entity}'.")
    allowed = tuple(_attribute_fields(schema, column))
    return {"@odata.context": context, **_pick(_attribute_fields(schema, column), options.get("$select"), allowed,
                                               _METADATA_TYPES[column.type])}


def keys(schema: LeadSchema, context: str, options: dict[str, str]) -> dict[str, Any]:
    """``EntityDefinitions(…)/Keys``: every key, whatever its index status."""
    return {"@odata.context": context,
            "value": [_pick(_key_fields(schema, key), options.get("$select"), _KEY, "EntityKeyMetadata")
                      for key in schema.keys]}


def _attribute_values(schema: LeadSchema, cast: str | None, options: dict[str, str]) -> list[dict[str, Any]]:
    columns = list(schema.columns)
    allowed: tuple[str, ...] = _BASE
    if cast is not None:
        wanted = cast.removeprefix(f"{NS}.")
        if wanted not in _METADATA_TYPES.values():
            raise errors.bad_request(f"The type '{cast}' is not a type of attribute metadata.")
        columns = [column for column in columns if _METADATA_TYPES[column.type] == wanted]
        allowed = tuple(_attribute_fields(schema, columns[0])) if columns else _BASE
    keep = _filter(options.get("$filter", ""))
    return [_pick(fields, options.get("$select"), allowed, cast or "AttributeMetadata")
            for fields in (_attribute_fields(schema, column) for column in columns) if keep(fields)]


def _filter(text: str) -> Callable[[dict[str, Any]], bool]:
    try:
        return parse_filter(text, _ATTRIBUTE_FILTER)
    except ODataError as error:
        raise errors.bad_request(str(error)) from None


def _label(text: str) -> dict[str, Any]:
    label = {"Label": text, "LanguageCode": 1033, "IsManaged": False, "MetadataId": metadata_id(f"label:{text}"),
             "HasChanged": None}
    return {"LocalizedLabels": [label], "UserLocalizedLabel": label}


def _entity_fields(schema: LeadSchema) -> dict[str, Any]:
    return {"MetadataId": metadata_id(f"entity:{schema.entity}"), "LogicalName": schema.entity,
            "SchemaName": schema.entity.capitalize(), "EntitySetName": schema.entity_set,
            "LogicalCollectionName": schema.entity_set, "CollectionSchemaName": schema.entity_set.capitalize(),
            "PrimaryIdAttribute": schema.primary_id, "PrimaryNameAttribute": schema.primary_name,
            "ObjectTypeCode": 4, "IsCustomEntity": False, "OwnershipType": "UserOwned",
            "DisplayName": _label(schema.entity.capitalize())}


def _attribute_fields(schema: LeadSchema, column: Column) -> dict[str, Any]:
    level = ("SystemRequired" if column.name == schema.primary_id
             else "ApplicationRequired" if column.required else "None")
    fields: dict[str, Any] = {
        "@odata.type": f"#{NS}.{_METADATA_TYPES[column.type]}",
        "MetadataId": metadata_id(f"attribute:{schema.entity}.{column.name}"), "LogicalName": column.name,
        "SchemaName": column.schema_name, "EntityLogicalName": schema.entity, "AttributeType": column.type,
        "AttributeTypeName": {"Value": f"{column.type}Type"}, "IsCustomAttribute": column.custom,
        "IsPrimaryId": column.name == schema.primary_id, "IsPrimaryName": column.name == schema.primary_name,
        "IsValidForCreate": column.writable, "IsValidForRead": True, "IsValidForUpdate": column.writable
        and column.name != schema.primary_id, "IsValidODataAttribute": True,
        "RequiredLevel": {"Value": level, "CanBeChanged": level != "SystemRequired",
                          "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"},
        "AttributeOf": None, "DisplayName": _label(column.schema_name),
    }
    fields.update(_derived_fields(column))
    return fields


def _derived_fields(column: Column) -> dict[str, Any]:
    if column.type in ("String", "Memo"):
        return {"MaxLength": column.max_length, "DatabaseLength": (column.max_length or 0) * 2,
                "Format": column.format, "FormatName": {"Value": column.format}}
    if column.type in ("Integer", "BigInt"):
        low, high = (-2147483648, 2147483647) if column.type == "Integer" else (-(2 ** 63), 2 ** 63 - 1)
        return {"MinValue": low if column.min_value is None else column.min_value,
                "MaxValue": high if column.max_value is None else column.max_value, "Format": "None"}
    if column.type in ("Picklist", "State", "Status"):
        return {"DefaultFormValue": min(column.options) if column.options else None}
    if column.type == "DateTime":
        return {"Format": "DateAndTime", "DateTimeBehavior": {"Value": "UserLocal"}}
    return {}


def _key_fields(schema: LeadSchema, key: EntityKey) -> dict[str, Any]:
    return {"MetadataId": metadata_id(f"key:{schema.entity}.{key.name}"), "LogicalName": key.name,
            "SchemaName": key.name, "EntityLogicalName": schema.entity, "KeyAttributes": list(key.attributes),
            "EntityKeyIndexStatus": key.status, "IsManaged": False, "DisplayName": _label(key.name)}


# --- $select and $expand -------------------------------------------------------------------

def _pick(fields: dict[str, Any], select: str | None, allowed: Iterable[str], type_name: str) -> dict[str, Any]:
    """``fields`` cut to ``$select`` (``@odata.type`` and ``MetadataId`` always stay, as in the service)."""
    if not select:
        return fields
    names = [name.strip() for name in select.split(",") if name.strip()]
    allowed = set(allowed)
    for name in names:
        if name not in allowed:
            raise errors.unknown_property(name, f"{NS}.{type_name.removeprefix(NS + '.')}")
    return {name: value for name, value in fields.items()
            if name in names or name in ("@odata.type", "MetadataId")}


def _expansions(text: str) -> list[tuple[str, dict[str, str]]]:
    """``Attributes($select=a,b;$filter=…),Keys`` → [("Attributes", {"$select": "a,b", …}), ("Keys", {})]."""
    found = []
    for item in _top_level(text, ","):
        name, _, rest = item.partition("(")
        if rest and not rest.endswith(")"):
            raise errors.bad_request(f"$expand: '{item}' is missing its closing parenthesis.")
        found.append((name.strip(), split_options(rest[:-1], ";") if rest else {}))
    return found


def split_options(text: str, separator: str = "&") -> dict[str, str]:
    """Query options ``$select=a,b;$filter=x eq 'y'`` as a dict (separators inside quotes or parentheses kept)."""
    options = {}
    for item in _top_level(text, separator):
        name, equals, value = item.partition("=")
        if not equals or not name.strip().startswith("$"):
            raise errors.bad_request(f"The query option '{item}' is not valid.")
        options[name.strip()] = value.strip()
    return options


def _top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside parentheses and single quotes."""
    parts, depth, quoted, current = [], 0, False, []
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]
