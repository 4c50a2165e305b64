"""Entity-attribute-value rules that products, categories and customers share.

``attributes`` is the attribute model (scope, backend type) and the conversion of a value to its
stored form and back; ``types`` the input types of ``custom_attributes`` and of top-level fields
backed by an attribute, with Magento's messages. Each domain keeps its own attribute catalogue.
"""
