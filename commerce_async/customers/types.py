"""Input types of the customer routes (Magento's ``CustomerInterface`` and ``AddressInterface``)."""

from __future__ import annotations

from commerce_async.eav.types import NoCustomAttributesType
from commerce_async.webapi.types import BOOL, INT, STRING, ArrayType, Field, ObjectType


def _extension(name: str) -> Field:
    # Extension attributes of modules this service does not have (newsletter, company ...) are
    # accepted so that clients written for a full Magento keep working; they are not stored.
    return Field(
        ObjectType(name, {}, allow_extra=True),
        description="Accepted for compatibility; not stored.",
    )


_NAME = {
    "firstname": Field(STRING, required=True),
    "lastname": Field(STRING, required=True),
    "middlename": Field(STRING),
    "prefix": Field(STRING),
    "suffix": Field(STRING),
}
"""The name fields of a customer and of an address."""

REGION = ObjectType(
    "customer-data-region-interface",
    {
        "region_code": Field(STRING),
        "region": Field(STRING),
        "region_id": Field(INT),
        "extension_attributes": _extension("customer-data-region-extension-interface"),
    },
)

ADDRESS = ObjectType(
    "customer-data-address-interface",
    {
        "id": Field(INT),
        "customer_id": Field(INT),
        "region": Field(REGION),
        "region_id": Field(INT),
        "country_id": Field(STRING, required=True),
        "street": Field(ArrayType(STRING), required=True),
        "company": Field(STRING),
        "telephone": Field(STRING, required=True),
        "fax": Field(STRING),
        "postcode": Field(STRING, required=True),
        "city": Field(STRING, required=True),
        **_NAME,
        "vat_id": Field(STRING),
        "default_shipping": Field(BOOL),
        "default_billing": Field(BOOL),
        "extension_attributes": _extension("customer-data-address-extension-interface"),
        "custom_attributes": Field(NoCustomAttributesType()),
    },
)

CUSTOMER = ObjectType(
    "customer-data-customer-interface",
    {
        "id": Field(INT),
        "group_id": Field(INT, description="Needs Magento_Customer::manage to set."),
        "default_billing": Field(STRING),
        "default_shipping": Field(STRING),
        "confirmation": Field(STRING, description="Not used: accounts need no confirmation."),
        "created_at": Field(STRING, description="Read-only."),
        "updated_at": Field(STRING, description="Read-only."),
        "created_in": Field(STRING, description="Read-only: the name of the store view."),
        "dob": Field(STRING),
        "email": Field(STRING, required=True),
        **_NAME,
        "gender": Field(INT),
        "store_id": Field(INT),
        "taxvat": Field(STRING),
        "website_id": Field(INT),
        "addresses": Field(ArrayType(ADDRESS)),
        "disable_auto_group_change": Field(INT),
        "extension_attributes": _extension("customer-data-customer-extension-interface"),
        "custom_attributes": Field(NoCustomAttributesType()),
    },
)
