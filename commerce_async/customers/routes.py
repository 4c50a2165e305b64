"""The customer routes, as Magento's ``Customer/etc/webapi.xml`` and ``Integration/etc/webapi.xml``
declare them; ``me`` routes force the account id from the caller's token."""

from __future__ import annotations

from commerce_async.customers import service, tokens
from commerce_async.customers.types import CUSTOMER
from commerce_async.webapi.routes import ANONYMOUS, SELF, USER_CUSTOMER, Param, Route
from commerce_async.webapi.search import SEARCH_CRITERIA
from commerce_async.webapi.types import BOOL, INT, STRING

ACCOUNT_MANAGEMENT = "Magento\\Customer\\Api\\AccountManagementInterface"
REPOSITORY = "Magento\\Customer\\Api\\CustomerRepositoryInterface"
REPOSITORY_CLASS = "Magento\\Customer\\Model\\ResourceModel\\CustomerRepository"
TOKEN_SERVICE = "Magento\\Integration\\Api\\CustomerTokenServiceInterface"
TOKEN_SERVICE_CLASS = "Magento\\Integration\\Model\\CustomerTokenService"

CUSTOMER_ID = Param("customerId", INT, source="path")
# Updates: the path's id, else customer.id (a bulk item may carry either).
UPDATE_PARAMS = (Param("customer", CUSTOMER), Param("customerId", INT, required=False))

USER_LOADERS = {USER_CUSTOMER: tokens.load_customer}

ROUTES = [
    Route(
        "POST",
        "/V1/customers",
        ACCOUNT_MANAGEMENT,
        "createAccount",
        (ANONYMOUS,),
        service.create_account,
        params=(
            Param("customer", CUSTOMER),
            Param("password", STRING, required=False),
            Param("redirectUrl", STRING, required=False),
        ),
        implementation="Magento\\Customer\\Model\\AccountManagementApi",
        returns=CUSTOMER,
        summary="Create a customer account (group_id needs Magento_Customer::manage)",
        accept_check=service.accept_check,
        sensitive=("password",),
        # Password hashing is slow: it runs before any transaction opens, here and in consumers.
        prepare=service.prepare_account,
    ),
    # Declared before the ``me`` twin, so this one serves the shared queue topic.
    Route(
        "PUT",
        "/V1/customers/:customerId",
        REPOSITORY,
        "save",
        (service.MANAGE,),
        service.save,
        params=UPDATE_PARAMS,
        implementation=REPOSITORY_CLASS,
        returns=CUSTOMER,
        summary="Update a customer account (only the fields given)",
    ),
    Route(
        "PUT",
        "/V1/customers/me",
        REPOSITORY,
        "save",
        (SELF,),
        service.save,
        params=UPDATE_PARAMS,
        implementation=REPOSITORY_CLASS,
        forced={"customer.id": "%customer_id%"},
        returns=CUSTOMER,
        summary="Update the calling customer's own account",
    ),
    Route(
        "GET",
        "/V1/customers/me",
        REPOSITORY,
        "getById",
        (SELF,),
        service.get,
        params=(Param("customerId", INT),),
        implementation=REPOSITORY_CLASS,
        forced={"customerId": "%customer_id%"},
        returns=CUSTOMER,
        summary="The calling customer's own account",
    ),
    Route(
        "GET",
        "/V1/customers/search",
        REPOSITORY,
        "getList",
        (service.READ,),
        service.search_customers,
        params=(Param("searchCriteria", SEARCH_CRITERIA, source="query"),),
        implementation=REPOSITORY_CLASS,
        summary="Search customers (searchCriteria)",
    ),
    Route(
        "GET",
        "/V1/customers/:customerId",
        REPOSITORY,
        "getById",
        (service.READ,),
        service.get,
        params=(CUSTOMER_ID,),
        implementation=REPOSITORY_CLASS,
        returns=CUSTOMER,
        summary="A customer account",
    ),
    Route(
        "DELETE",
        "/V1/customers/:customerId",
        REPOSITORY,
        "deleteById",
        (service.MANAGE,),
        service.delete,
        params=(CUSTOMER_ID,),
        implementation=REPOSITORY_CLASS,
        returns=BOOL,
        summary="Delete a customer account, its addresses and its tokens",
    ),
    Route(
        "POST",
        "/V1/integration/customer/token",
        TOKEN_SERVICE,
        "createCustomerAccessToken",
        (ANONYMOUS,),
        tokens.customer_token,
        # Both optional here: the credentials check reports every missing one at once.
        params=(
            Param("username", STRING, required=False),
            Param("password", STRING, required=False),
        ),
        implementation=TOKEN_SERVICE_CLASS,
        returns=STRING,
        summary="Create a customer access token (a bare JSON string)",
        transactional=False,
        asynchronous=False,
    ),
    Route(
        "POST",
        "/V1/integration/customer/revoke-customer-token",
        TOKEN_SERVICE,
        "revokeCustomerAccessToken",
        (SELF,),
        tokens.revoke_customer_token,
        params=(Param("customerId", INT),),
        implementation=TOKEN_SERVICE_CLASS,
        forced={"customerId": "%customer_id%"},
        returns=BOOL,
        summary="Revoke every token of the calling customer",
        # A revocation must take effect at once, not when a consumer gets to it.
        asynchronous=False,
    ),
]
