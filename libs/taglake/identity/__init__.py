"""OneID: identity resolution by connected components over declared identity sources.

Modules, in data-flow order: `config` (tagdefs/identity.yaml), `procedure` (how an identifier
is read, also as SQL text for tag expressions), `normalize` (canonical forms and validation as
Spark expressions), `edges` (sources → typed nodes and links), `guards` (blocklists,
degree caps, component-size policy), `components` (connected components on Spark), `stable_ids`
(carrying OneIDs from night to night), `job` (the nightly stage) and `mapping` (the read API).
"""
