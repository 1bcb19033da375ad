"""Read the steps of a pipeline or process told in sentences: the components it names, in order,
with decisions ("If ..., X. Otherwise, Y.") and loops back ("... and Z again").

    >>> read_prose("Events land in Kafka. Flink aggregates them and writes to ClickHouse; "
    ...            "Grafana shows the dashboards.").line()
    '# steps: Kafka > Flink > ClickHouse > Grafana'
    >>> read_prose("First, the user LoginToWebsite. If the product is available, the site ShowsResult. "
    ...            "Otherwise, the user QuitWebsite.").line()
    '# steps: Login to website > The product is available? > Shows result, Quit website'

A step is a named component (a list of well-known services, stores, engines and tools, written as
the text writes them, with its "Amazon"/"Apache"/... prefix) or a CamelCase activity name
("CheckOut", "SubmitJobForConsideration", written out in words). Sentences are read in order; a
sentence that starts with "Otherwise"/"Else"/"If not" puts its first step beside the last step of
the "If ..." sentence before it, after a decision node named by the condition ("... available?").
A step named again in a sentence that says "again", "back", "repeat" or "retry" is a loop back.
In a text about a system (it names a product, or two roles only software has) components named by
their role count too ("an offline store", "the key generation service"). `with_checks` turns a check
a pipeline's text states into a decision; `with_feedback` closes an ML lifecycle's retraining loop.
Single patterns without nested repeats over plain text: linear in its length. Pure functions.
"""

from __future__ import annotations

import re

from diagram.plan import MAX_LAYER_NODES, MAX_PLAN_NODES, Plan, step_label
from diagram.reader_clauses import VERBS, ELSE_CONTINUE, lemma, activity

# Names matched in any case (distinctive words) ...
_ANY_CASE = (
    "Kafka", "Kinesis", "Firehose", "Kinesis Data Firehose", "Kinesis Data Streams", "DynamoDB", "DynamoDB Streams",
    "S3", "SQS", "SNS", "SES", "EventBridge", "EventBridge Pipes", "EventBridge Scheduler", "API Gateway",
    "AppSync", "CloudFront", "CloudWatch", "CloudWatch Logs", "CloudTrail", "X-Ray", "Step Functions",
    "Bedrock", "SageMaker", "Textract", "Rekognition", "Redshift", "Athena", "Aurora", "RDS", "ElastiCache",
    "OpenSearch", "Elasticsearch", "Kibana", "Logstash", "Fargate", "ECS", "EKS", "EC2", "ECR", "IoT Core",
    "Cognito", "Secrets Manager", "Systems Manager", "Parameter Store", "Timestream", "DocumentDB", "Neptune",
    "MSK", "WAF", "Route 53", "Lake Formation", "QuickSight", "EMR", "Glue", "Lambda", "Lambda function",
    "BigQuery", "Pub/Sub", "Dataflow", "Dataproc", "Cloud Run", "Cloud Functions", "Cloud Storage", "Vertex AI",
    "Bigtable", "Spanner", "Firestore", "Looker", "Looker Studio", "Azure Functions", "Event Hubs",
    "Service Bus", "Cosmos DB", "Synapse", "Data Factory", "Databricks", "Blob Storage", "Power BI",
    "Flink", "Spark", "Spark Streaming", "SparkStreaming", "Structured Streaming", "Hadoop", "HDFS", "Hive",
    "Presto", "Trino", "Druid", "Pinot", "ClickHouse", "Grafana", "Prometheus", "Superset", "Metabase",
    "Tableau", "Airflow", "Dagster", "Prefect", "Luigi", "Kubeflow", "MLflow", "dbt", "Airbyte", "Fivetran",
    "Debezium", "NiFi", "Beam", "Pulsar", "RabbitMQ", "ActiveMQ", "Redis", "Memcached", "Cassandra",
    "MongoDB", "Postgres", "PostgreSQL", "MySQL", "MariaDB", "SQLite", "Oracle", "SQL Server", "Snowflake",
    "Delta Lake", "Iceberg", "Hudi", "Parquet", "Avro", "Kafka Connect", "ksqlDB", "Zookeeper", "Logstash",
    "Fluentd", "Filebeat", "Jenkins", "GitHub Actions", "GitLab CI", "CircleCI", "Travis CI", "Argo CD",
    "ArgoCD", "Argo Workflows", "Tekton", "Spinnaker", "Terraform", "Ansible", "Helm", "Kubernetes", "Docker",
    "Docker Hub", "Nexus", "Artifactory", "SonarQube", "Trivy", "Snyk", "Maven", "Gradle", "npm",
    "Pinecone", "Weaviate", "Milvus", "Qdrant", "Chroma", "FAISS", "pgvector", "LangChain", "LlamaIndex",
    "OpenAI", "Hugging Face", "Ray", "Feast", "Great Expectations", "Shopify", "Stripe", "Salesforce",
    "Segment", "Mixpanel", "Amplitude", "Twilio", "Slack", "Jira", "GitHub", "GitLab", "Bitbucket", "Nginx",
    "Envoy", "Istio", "Vault", "Consul", "Datadog", "Splunk", "New Relic", "Sentry", "PagerDuty", "Zapier",
    "Comprehend", "Transcribe", "Polly", "Translate", "Lex", "Kendra", "Personalize", "Forecast",
    # more services, stores and tools (cloud docs, data/ML/CI-CD tool pages)
    "Redpanda", "Kafka Streams", "Spark SQL", "PySpark", "Delta Live Tables", "Unity Catalog", "Glue Crawler",
    "Glue Data Catalog", "Data Catalog", "Kinesis Data Analytics", "Managed Service for Apache Flink", "MWAA",
    "AWS Batch", "App Runner", "Elastic Beanstalk", "CodePipeline", "CodeBuild", "CodeDeploy", "CodeCommit",
    "CodeArtifact", "GuardDuty", "Security Hub", "Amazon MQ",
    "MemoryDB", "QLDB", "S3 Glacier", "Glacier", "EFS", "FSx", "Transfer Family", "DataSync", "DMS", "AppFlow",
    "IoT Greengrass", "Greengrass", "IoT Events", "IoT Analytics", "IoT SiteWise", "Managed Grafana",
    "Managed Prometheus", "OpenSearch Serverless", "Elemental MediaConvert", "MediaConvert", "Location Service",
    "Lambda@Edge", "CloudFront Functions", "Global Accelerator", "Direct Connect", "VPC", "NAT Gateway",
    "Application Load Balancer", "ALB", "NLB", "ELB", "Auto Scaling", "Bedrock Agents", "Knowledge Bases",
    "SageMaker Pipelines", "SageMaker Endpoint", "Logic Apps", "Event Grid", "Data Lake Storage", "ADLS",
    "Stream Analytics", "Azure SQL", "Azure OpenAI", "AKS", "App Service", "Container Apps", "Key Vault",
    "Application Insights", "Azure Monitor", "Purview", "Cloud SQL", "Cloud Scheduler", "Cloud Tasks",
    "Cloud Build", "Artifact Registry", "GKE", "Cloud Composer", "Eventarc", "Memorystore", "AlloyDB",
    "Datastream", "Data Fusion", "Dataform", "Cloud Logging", "Cloud Monitoring", "Firebase", "Supabase",
    "Vercel", "Netlify", "Heroku", "Cloudflare", "Cloudflare Workers", "Pulumi", "Knative", "OpenShift",
    "Rancher", "Podman", "Buildkite", "Azure DevOps", "Azure Pipelines", "Bamboo", "TeamCity", "FluxCD",
    "GHCR", "SonarCloud", "Checkmarx", "Dependabot", "OWASP ZAP", "Selenium", "pytest", "JUnit", "JMeter",
    "OpenTelemetry", "Jaeger", "Fluent Bit", "Telegraf", "InfluxDB", "TimescaleDB", "QuestDB", "ScyllaDB",
    "HBase", "Neo4j", "Couchbase", "CockroachDB", "DuckDB", "Elastic", "TensorFlow", "PyTorch", "Keras",
    "scikit-learn", "XGBoost", "LightGBM", "ONNX", "TorchServe", "TF Serving", "TensorFlow Serving", "BentoML",
    "KServe", "Weights & Biases", "DVC", "Label Studio", "Ollama", "vLLM", "GPT-4", "ChatGPT",
    "Hugging Face Hub", "Streamlit", "Gradio", "FastAPI", "Flask", "Django", "Node.js", "React", "Next.js",
    "Celery", "Sidekiq", "NATS", "ZeroMQ", "MQTT", "Mosquitto", "EMQX", "Node-RED", "Grafana Loki",
    "Snowpipe", "Fivetran", "Stitch", "Meltano", "Singer", "Hightouch", "Census", "Kafka Connect", "Schema Registry",
    "ksql", "Materialize", "RisingWave", "Apache Beam", "Google Sheets", "Excel", "Power Automate", "SharePoint",
    "Salesforce", "HubSpot", "Zendesk", "ServiceNow", "SAP", "Workday", "Okta", "Auth0", "Keycloak",
    "Loki", "Tempo", "Vector", "Batch", "Config", "Connect", "Workflows", "Flux", "Fabric", "Composer",
    "Sentinel", "Amplify", "Harbor", "Drone", "Nomad", "Quay", "Jest", "Cypress", "Playwright", "Locust",
    "Postman", "Gemini", "Llama", "Mistral", "Cohere", "Haystack", "Evidently", "Macie", "Pinpoint",
    "Chime", "Keyspaces", "Triton", "Seldon", "Superset", "EventBridge Pipe", "Step Function", "Apigateway",
)
# a service written in the singular or in another case reads as its own name ("EventBridge pipe")
_CANONICAL = {"eventbridge pipe": "EventBridge Pipes", "eventbridge pipes": "EventBridge Pipes",
              "step function": "Step Functions", "apigateway": "API Gateway"}
# ... and names that are also plain words, matched only as written (capitalised).
_AS_WRITTEN = ("Comprehend", "Transcribe", "Translate", "Lex", "Forecast", "Personalize", "Glue",
               "Beam", "Ray", "Segment", "Chroma", "Helm", "Vault", "Consul", "Oracle", "Slack",
               "Feast", "Envoy", "Athena", "Neptune", "Aurora", "Spark", "Hive", "Luigi", "Presto", "Druid",
               "Pinot", "Iceberg", "Hudi", "Avro", "Forecast", "Stripe", "Segment", "Looker", "Synapse", "Sentry",
               "Loki", "Tempo", "Vector", "Batch", "Config", "Connect", "Workflows", "Flux", "Fabric", "Composer",
               "Sentinel", "Amplify", "Harbor", "Drone", "Nomad", "Quay", "Jest", "Cypress", "Playwright", "Locust",
               "Postman", "Gemini", "Llama", "Mistral", "Cohere", "Haystack", "Evidently", "Macie",
               "Pinpoint", "Chime", "Keyspaces", "Triton", "Seldon", "Elastic", "Excel", "Census", "Stitch",
               "Singer", "React", "Flask", "Celery", "Materialize", "Streamlit", "Gradio", "SAP", "Keras",
               "Census", "Glacier", "Elastic", "Workday")
_PREFIX = r"(?:(?:Amazon|AWS|Azure|Google(?: Cloud)?|GCP|Apache|Confluent|Microsoft)[ \t])?"


def _alternation(names) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


_DISTINCT = [n for n in _ANY_CASE if n not in _AS_WRITTEN]
_NAMED = re.compile(rf"(?<![\w/-])(?:(?i:{_PREFIX}(?:{_alternation(_DISTINCT)}))|{_PREFIX}(?:{_alternation(_AS_WRITTEN)}))"
                    r"(?![\w/]|-(?!(?:based|driven|powered|backed|managed|hosted|triggered|compatible)\b))")
_BRANDED = re.compile(r"(?<![\w/-])(?:Amazon|AWS|Azure|Google Cloud|GCP|Apache|Confluent|Microsoft)[ \t]+"
                      r"[A-Z][\w.-]{1,20}(?:[ \t]+[A-Z][\w.-]{1,20}){0,2}(?![\w/-])")
_CAMEL = re.compile(r"(?<![\w.])[A-Z][a-z]{1,20}(?:[A-Z][a-z0-9]{0,20}|[A-Z](?=[A-Z][a-z])){1,8}(?![\w(]|\.\w)")
_LETTER = re.compile(r"(?<![\w'’-])(?:[A-HJ-Z]|T\d{1,2}|" + "|".join(c * 3 + "|" + c * 2 for c in "ABCDEFGHJKLMNOPQRSTUVWXYZ")
                     + r")(?![\w'’-])")
_PARALLEL_AFTER = re.compile(r"^\s*(?:are\s+|is\s+|execute\s+|run\s+|happen\s+|occur\s+)?(?:also\s+)?(?:in\s+parallel|"
                             r"parallel|simultaneously|concurrently|at the same time)\b", re.I)
_PARALLEL_BEFORE = re.compile(r"(?:parallel\s+(?:gateway\s+)?(?:with|of|between)|in\s+parallel\s+(?:of|with)|"
                              r"choice\s+between|either|mutually\s+exclusive\s+with|simultaneously|both|"
                              r"fans?\s+out\s+(?:in)?to|in\s+parallel\s+to)\s*$", re.I)
_GROUP_GAP = re.compile(r"^(?:\s*,?\s*(?:and\s+)?)$")
_WHOLE = re.compile(r"\b(?:whole|entire|complete)\s+(?:process|procedure|flow|workflow)\b", re.I)
_OR = re.compile(r"\bor\b(?!\s+not\b)", re.I)
_BETWEEN = re.compile(r"\bbetween\s+$|\beither\s+$", re.I)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_OTHERWISE = re.compile(r"^(?:otherwise|else|if not|in (?:all )?other cases|or else|in the other case)\b", re.I)
_IF = re.compile(r"^(?:(?:but|and|then|so),?\s+)?(?:if|in case|whether)\s+(?P<cond>[^,]{3,80}?)\s*(?:,|then\b)", re.I)
_AGAIN = re.compile(r"\b(?:again|back(?:ed)? (?:to|into|in)|repeat(?:s|ed)?|retr(?:y|ies)|loops? back|once more|"
                    r"returns? (?:\w+ ){0,3}to)\b", re.I)
_RETRY = re.compile(r"\b(?:retr(?:y|ies|ied)|repeat(?:s|ed|edly)?|repetitions?|again|loops?|several times|"
                    r"multiple times|until|iterat\w+)\b", re.I)
_QUALIFIERS = (r"(?:bucket|table|queue|topic|cluster|shipper|job|index|dashboard|database|instance|broker|"
               r"worker|consumer|producer|agent|subscriber|connector|endpoint|server|store|gateway|cache|client|"
               r"rule|indexer|crawler|shipper|pipeline|engine)s?|indices|indexes|functions?")
# "the S3 bucket", "a Redshift staging table": one plain word may stand between the name and its noun
_QUALIFIER = re.compile(rf"(?:[ \t](?!(?:and|or|the|to|with|via|for|into|from|then|its|their|which|that|this|each|"
                        rf"every|all|any|also|on|in|at|by|as|is|are|was|were|will|can|may|must|should|would|could|not|now|has|have|had|our|your)\b)[a-z]{{3,12}})?[ \t](?i:{_QUALIFIERS})(?![\w-])")
# "Kinesis Analytics", "IoT Rules", "Glue ETL jobs": a named component and the capitalised words after it
_CAPITALISED = re.compile(r"(?:[ \t](?:[A-Z][a-z]{2,20}|[A-Z]{2,6})(?![\w/-]|-\w)){1,2}")
_KEY_NOISE = re.compile(r"^(?:amazon|aws|azure|google(?: cloud)?|gcp|apache|confluent|microsoft) |"
                        rf" (?:{_QUALIFIERS}|service|services|api)$")


def name_key(label: str) -> str:
    """The same component however it is written: 'AWS Lambda function' and 'lambda' are one step."""
    key = label.lower()
    for _ in range(2):
        shorter = _KEY_NOISE.sub("", key)
        if shorter != key and not _NAMED.search(shorter):
            break  # "online database" and "online store" are two components; "Lambda function" is Lambda
        key = shorter
    return key


def as_question(cond: str) -> str:
    """'the amount is over the limit' -> 'The amount is over the limit?' (<= 40 characters)."""
    cond = cond.strip()
    if len(cond) > 39:
        cond = cond[:39].rsplit(" ", 1)[0]
    return cond[:1].upper() + cond[1:] + "?"


def _words(name: str) -> str:
    """'SubmitJobForConsideration' -> 'Submit job for consideration'; other names as written."""
    if not _CAMEL.fullmatch(name):
        return name
    parts = re.findall(r"[A-Z][a-z0-9]*", name)
    if any(len(p) == 1 for p in parts[1:]) or (len(parts) == 2 and lemma(parts[0]) not in VERBS):
        return name  # "IoT", "WeatherStack": a name, not words ("SubmitJob" is an activity)
    return " ".join([parts[0]] + [p.lower() if len(p) > 1 or p != "I" else p for p in parts[1:]])


_SPELLING = {n.lower(): n for n in _ANY_CASE if n != n.lower()}  # "Dynamodb" -> "DynamoDB" ("dbt" stays)


def _canonical(name: str) -> str:
    """'Amazon EventBridge pipe' -> 'Amazon EventBridge Pipes'; other names as written."""
    prefix = re.match(_PREFIX, name)
    rest = name[prefix.end():] if prefix else name
    canonical = _CANONICAL.get(rest.lower()) or _SPELLING.get(rest.lower())
    return (name[: len(name) - len(rest)] + canonical) if canonical else name


# a name set in bold or underscores: capitalised, up to 40 characters, not a heading ("**Step 1:**", "**Note**")
_EMPHASISED = re.compile(r"(?<![*\w])(?:\*\*|__)(?P<b>[A-Z0-9][^*_\n]{0,38}?[\w)])(?:\*\*|__)(?![*\w])|"
                         r"(?<![\w*])_(?P<u>[A-Z][^_\n]{0,38}?\w)_(?!\w)")
_NOT_A_NAME = re.compile(r"^(?:step|stage|phase|note|tip|important|warning|example|input|output|yes|no|true|false)\b|"
                         r"^\d+$", re.I)


# components named by their role ("the vector store", "a message broker", "the key generation service"):
# a role noun that stands alone, or one that needs a word before it to name a component ("offline store",
# "Order Service"); the words before it are kept up to two, from the last word that is no article,
# preposition, pronoun or verb
_ROLE_ALONE = (r"databases?|db|datastore|data[ \t]store|queues?|cache|message[ \t]broker|broker|buckets?|registry|"
               r"data[ \t]warehouse|warehouse|data[ \t]lake|lakehouse|load[ \t]balancer|llm|dlq|cdn|"
               r"crawler|indexer|scheduler|retriever|re-?ranker|embedder|orchestrator|collector|front-?end|"
               r"dead[- ]letter[ \t]queue|object[ \t]storage|vector[ \t](?:store|database|db|index)|"
               r"embedding[ \t]model|feature[ \t]store|model[ \t]registry|web[ \t]servers?|api[ \t]gateway|clients?")
_ROLE_NAMED = (r"store|storage|services?|layer|dashboards?|api|apps?|application|topic|servers?|agent|workers?|"
               r"processor|consumer|producer|engine|sensors?|devices?|handler")
_ROLE = re.compile(rf"(?<![\w/-])(?P<m>(?:[A-Za-z][\w/+.-]{{0,20}}[ \t]){{0,2}})"
                   rf"(?P<n>(?:(?i:{_ROLE_ALONE})|(?i:{_ROLE_NAMED}))(?:[ \t](?:(?i:{_ROLE_ALONE})|(?i:{_ROLE_NAMED})))?)"
                   r"(?![\w-])")
_ROLE_NEEDS_WORD = re.compile(rf"(?i:{_ROLE_NAMED})")
_ROLE_ALONE_RE = re.compile(rf"(?i:{_ROLE_ALONE})")
# roles only software has: two of them make a text about a system even when it names no product
_ROLE_TECH = re.compile(r"(?i)\b(?:llm|vector[ \t](?:store|database|db|index)|embedding[ \t]model|message[ \t](?:queue|broker)|"
                        r"load[ \t]balancer|api[ \t]gateway|object[ \t]storage|data[ \t](?:warehouse|lake)|cdn|dlq|"
                        r"dead[- ]letter[ \t]queue|retriever|re-?ranker|web[ \t]servers?|feature[ \t]store)\b")
# a step written after an arrow in a sentence ("Logstash -> Elasticsearch; Flink -> alerting"): a name
_AFTER_ARROW = re.compile(r"(?:-+>|→|=>)[ \t]*(?P<x>[A-Za-z][\w-]{0,30}(?:[ \t][A-Za-z][\w-]{0,30}){0,2}?)"
                          r"(?=[ \t]*(?:-+>|→|=>|[;,.)]|$))")
# ... and a name written before an arrow ("move data from Notion -> BigQuery"): up to three words
_BEFORE_ARROW = re.compile(r"(?<![\w-])(?P<x>[A-Za-z][\w-]{0,30}(?:[ \t][A-Za-z][\w-]{0,30}){0,2})(?=[ \t]*(?:-+>|→|=>))")
_NOT_MODIFIER = frozenset("""a an the to in into from of for with by on at and or is are was were be its it their our
    your my his her this that these those each every new same then which where when via as all any some one two three
    both either via using through onto over under within per than also only not no so such other another more most
    own up out off down back if while after before once here there what who how we they you i he she us them
    let lets set sets get gets put uses use used called named see like grant via per etc participant such
    small simple lightweight special custom existing given whole entire full incoming outgoing""".split())
# lower-case words that say which one of a named component ("the target S3 bucket", "a second Lambda")
_WHICH = frozenset("""source target destination input output raw processed first second third primary secondary
    producer consumer upstream downstream main backup staging landing curated private public internal external local
    remote central shared dedicated separate another origin sink ingest ingestion export import""".split())


def _modifier_ok(word: str, ing: bool = True) -> bool:
    w = word.lower()
    return (w not in _NOT_MODIFIER and not is_verb(w) and not w.endswith("ly") and (ing or not w.endswith("ing"))
            and not (w.endswith("ed") and len(w) > 4 and w not in ("embed", "shared", "managed", "hosted")))


def _role(m: re.Match) -> tuple[int, int, str] | None:
    """(start, end, name) of a component named by its role, or None ("the service" alone names none)."""
    words = m.group("m").split()
    keep: list[str] = []
    for w in reversed(words):
        if not _modifier_ok(w) or w[:1].isdigit():
            break
        keep.insert(0, w)
    noun = m.group("n")
    if not keep and _ROLE_NEEDS_WORD.fullmatch(noun):
        return None
    if keep and keep[0][:1].isupper() and m.start() + m.group("m").find(keep[0]) == 0 and not _ROLE_NEEDS_WORD.fullmatch(noun):
        keep = keep[1:]  # the sentence's first word is capitalised anyway
    if not keep and _ROLE_NEEDS_WORD.fullmatch(noun):
        return None
    start = m.end() - len(noun) - sum(len(w) + 1 for w in keep)
    return start, m.end(), " ".join(keep + [noun])


def _modified(sentence: str, start: int, end: int, name: str) -> tuple[int, int, str]:
    """A named component with the word before it that says which one ("ETL Lambda", "target S3 bucket",
    "Summarizer Lambda function"): a capitalised or lower-case word that is no article, verb or preposition."""
    if re.match(_PREFIX + r"(?=\S)", name) and re.match(_PREFIX, name).group():
        return start, end, name
    before = re.search(r"(?:^|[ \t(])(?P<w>[A-Za-z][\w/-]{1,20})[ \t]$", sentence[max(0, start - 24): start])
    if before is None or not _modifier_ok(before.group("w"), ing=False) or _NAMED.fullmatch(before.group("w")):
        return start, end, name
    w = before.group("w")
    if w[:1].islower() and w.lower() not in _WHICH:
        return start, end, name  # "grant Athena", "small Node.js": a word of the sentence, not the component's name
    at = start - len(w) - 1
    if at == 0 and w[:1].isupper() and not w.isupper():
        return start, end, name  # the sentence's first word: capitalised anyway
    return at, end, f"{w} {name}"


_NAME_ASIDE = re.compile(r"[ \t]*\((?P<a>[^()\n]{1,24})\)")


def _with_asides(sentence: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Each name with the short aside that follows it ("MQTT broker (Mosquitto)", "S3 (Raw Videos)",
    "NodeMCU (ESP8266)"), a name inside such an aside no step of its own; e.g./i.e./see asides stay out."""
    out = []
    for a, b, name in found:
        aside = _NAME_ASIDE.match(sentence, b)
        inner = _NAMED.search(aside.group("a")) if aside else None
        if inner and inner.group() != aside.group("a").strip():
            aside = None  # "Lambda (sends the result to EventBridge)": a description naming another component
        if aside and not re.match(r"(?i)\s*(?:e\.g|i\.e|see|in parallel|optional|\d{1,2}$)", aside.group("a")) \
                and len(name) + len(aside.group()) <= 40:
            out.append((a, aside.end(), f"{name} ({' '.join(aside.group('a').split())})"))
        else:
            out.append((a, b, name))
    return [(a, b, name) for a, b, name in out
            if not any((c, d) != (a, b) and c <= a and b <= d for c, d, _ in out)]


def _mentions(sentence: str, letters: bool = False, roles: bool = False) -> list[tuple[str, bool]]:
    """The step names of a sentence in order, each with whether it is an alternative to the one
    before ("either X or Y", "between X and Y"): named components as written, CamelCase names in
    words, and with `letters` single capital letters ("A before B and C")."""
    found = []
    for m in _NAMED.finditer(sentence):  # "the S3 bucket", "a Logstash shipper": the component keeps its noun
        qualifier = _QUALIFIER.match(sentence, m.end())
        title = _CAPITALISED.match(sentence, m.end()) if qualifier is None else None
        if title and not _NAMED.search(title.group()) and m.group()[:1].isupper():
            qualifier = _QUALIFIER.match(sentence, title.end())
            end = qualifier.end() if qualifier else title.end()
            found.append((m.start(), end, _canonical(m.group()) + sentence[m.end():end]))
            continue
        found.append((m.start(), qualifier.end() if qualifier else m.end(),
                      _canonical(m.group()) + (qualifier.group() if qualifier else "")))
    for m in _BRANDED.finditer(sentence):  # "Amazon Location Service": a brand and capitalised words
        if not any(a < m.end() and m.start() < b for a, b, _ in found):
            found.append((m.start(), m.end(), m.group()))
    for m in _EMPHASISED.finditer(sentence):  # "the **Web Server**", "_Amazon Athena_": a name the writer marked
        name = (m.group("b") or m.group("u")).strip()
        if not any(a < m.end() and m.start() < b for a, b, _ in found) and len(name.split()) <= 4 \
                and not _NOT_A_NAME.match(name):
            found.append((m.start(), m.end(), name))
    found = [_modified(sentence, a, b, name) for a, b, name in found]  # "the ETL Lambda", "a target S3 bucket"
    for m in _ROLE.finditer(sentence) if roles else ():  # "an offline store", "the key generation service"
        role = _role(m)
        if role is not None and not any(a < role[1] and role[0] < b for a, b, _ in found):
            found.append(role)
    for m in _AFTER_ARROW.finditer(sentence) if roles else ():
        if not any(a < m.end("x") and m.start("x") < b for a, b, _ in found):
            found.append((m.start("x"), m.end("x"), m.group("x")))
    for m in _BEFORE_ARROW.finditer(sentence) if roles else ():  # "from Notion -> BigQuery": the first one too
        if "<!--" in sentence[: m.start()]:
            continue  # "<!--BEGIN STABILITY BANNER-->": a comment's end, no arrow
        words = m.group("x").split()
        keep = len(words)
        while keep and not (words[keep - 1].lower() in _NOT_MODIFIER or is_verb(words[keep - 1])):
            keep -= 1
        name = " ".join(words[keep:])
        start = m.end("x") - len(name)
        if name and name[:1].isupper() and not any(a < m.end("x") and start < b for a, b, _ in found):
            found.append((start, m.end("x"), name))
    found = _with_asides(sentence, found)  # "MQTT broker (Mosquitto)", "Elastic Container Service (ECS)"
    taken = [(a, b) for a, b, _ in found]
    extra = list(_CAMEL.finditer(sentence)) + (list(_LETTER.finditer(sentence)) if letters else [])
    for m in extra:
        if not any(a < m.end() and m.start() < b for a, b in taken):
            found.append((m.start(), m.end(), _words(m.group())))
    found.sort()
    # runs of names with nothing but blanks, commas or "and" between them ("T10 T11 T13 in parallel",
    # "a choice between T13 and T10"): one rank when the text says they run in parallel or are a choice
    together = [False] * len(found)
    start = 0
    for i in range(1, len(found) + 1):
        if i < len(found) and _GROUP_GAP.match(sentence[found[i - 1][1]: found[i][0]]):
            continue
        if i - start >= 2 and (_PARALLEL_AFTER.match(sentence[found[i - 1][1]: found[i - 1][1] + 40]) or
                               _PARALLEL_BEFORE.search(sentence[max(0, found[start][0] - 40): found[start][0]])):
            for k in range(start + 1, i):
                together[k] = True
        start = i
    out = []
    for i, (start, _, name) in enumerate(found):
        between = sentence[found[i - 1][1]: start] if i else ""
        before = sentence[max(0, found[i - 1][0] - 9): found[i - 1][0]] if i else ""
        alternative = bool(i) and (bool(_OR.search(between)) or
                                   (bool(_BETWEEN.search(before)) and bool(re.fullmatch(r"\s*and\s*", between))))
        out.append((name, alternative or together[i]))
    return out


def mentions(text: str) -> list[str]:
    """The named components and CamelCase activities a text names, in order ("Lambda", "SQS queue")."""
    return [name for name, _ in _mentions(text)]


def _else_continue(ranks: list[list[str]], at: int) -> None:
    """The missing other branch of a decision whose branch is rank `at`: ELSE_CONTINUE beside it."""
    if 0 < at < len(ranks) and len(ranks[at]) == 1 and ranks[at - 1][-1].endswith("?") \
            and ELSE_CONTINUE not in (label for rank in ranks for label in rank):
        ranks[at].append(ELSE_CONTINUE)


_SERIES_SPLIT = re.compile(r"\s*(?:,|;)\s*(?:and\s+then\s+|and\s+finally\s+|and\s+|then\s+|finally\s+)?|\s+and\s+(?:then|finally)\s+")
_LAST_AND = re.compile(r"\s+and\s+(?=[a-z]+s\b)")
_INCLUDES = re.compile(r"\b(?:includes|including|consists\s+of|consisting\s+of|involves|comprises|covers|performs)\s+(?:the\s+)?"
                       r"(?:(?:following|steps|stages)\s*:?\s*)?", re.I)
_ITEM_NOISE = re.compile(r"`{1,3}[^`\n]{0,80}`{1,3}|\bhttps?://\S{1,200}|(?i:\b(?:the|a|an)\b)")
# a counted list: "has five stages: ...", "across four services — ..."
_NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_COUNTED = re.compile(rf"\b(?P<count>\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})[ \t]+(?:[\w-]{{1,20}}[ \t]+){{0,2}}?"
                      r"(?:stages|steps|phases|parts|components|services|layers|tasks|activities|modules|jobs)"
                      r"[ \t]*(?::|[—–]|[ \t]-)[ \t]*", re.I)
_PAREN = re.compile(r"[ \t]*\([^()\n]{0,200}\)")  # an aside in brackets: what an item does, not another item
_ENUM_END = re.compile(r"[ \t]+[—–-][ \t]+|[ \t]*[—–][ \t]*|:")  # a dash or colon closes the items


def _count(word: str | None) -> int | None:
    """'five' -> 5, '4' -> 4, None -> None."""
    if not word:
        return None
    return int(word) if word.isdigit() else _NUMBER_WORDS.index(word.lower()) + 2


_RELATIVE = frozenset("that which who".split())
_ITEM_CUT = re.compile(r"\s+(?:with|for|using|via|by|within|so that|which|that|from|on|into|to)\s+", re.I)


def is_verb(word: str) -> bool:
    """'validates', 'extracts', 'sends': a verb of the third person (what a component does)."""
    w = word.lower()
    return w.isalpha() and len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and lemma(w) != w


def _item(text: str) -> str:
    """A series item as written, cut to at most 40 characters: at a preposition, else at a word."""
    text = " ".join(text.strip(" .:!?\"'()").split())
    if len(text) > 40:  # "pushes the results to a cloud-based database": code, links and articles go first
        text = " ".join(_ITEM_NOISE.sub(" ", text).split()).strip(" ,")
    if len(text) > 40:
        cut = _ITEM_CUT.split(text, maxsplit=1)[0]
        text = cut if len(cut.split()) >= 2 else text[:40].rsplit(" ", 1)[0]
    return text


def _unwrap(text: str) -> str:
    """Sentences wrapped over lines joined: a line of 6+ words (no heading) ending in a word, ',' or
    ')' goes on when the next line is no bullet, heading or number."""
    lines = text.split("\n")
    out = lines[:1]
    for prev, line in zip(lines, lines[1:]):
        wraps = (len(prev.split()) >= 6 and not prev.lstrip().startswith("#") and re.search(r"[\w,)]$", prev)
                 and not re.match(r"[ \t]*[-*•#>\d]", line))
        if wraps:
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


def series(text: str) -> tuple[list[str], str] | None:
    """The stages one sentence lists as a series of 3+ things done ("receives S3 events, validates
    video files, extracts metadata via FFprobe, and sends notifications") or, after "includes" /
    "consists of", of 3+ short noun phrases ("quality control, trimming, alignment and variant
    calling"): (the longest such series in the text, its sentence), components the sentence names
    before it first ("a Lambda function resizes ..., saves ..., and sends ..." -> Lambda function, resizes ...)."""
    best: list[str] = []
    said = ""
    text = _unwrap(text)
    for sentence in _SENTENCES.split(text.strip()):
        if len(sentence) > 600:
            continue
        parts = [p for p in _SERIES_SPLIT.split(sentence.strip().rstrip(".")) if p.strip()]
        if parts and len(parts) >= 2:
            last = _LAST_AND.split(parts[-1], maxsplit=1)
            parts = parts[:-1] + last
        verbs = [i for i, p in enumerate(parts) if p.split() and is_verb(p.split()[0])]
        items: list[str] = []
        if len(parts) >= 3 and verbs and verbs[0] >= len(parts) - len(verbs) - 1 and verbs == list(range(verbs[0], len(parts))):
            head = parts[verbs[0] - 1] if verbs[0] >= 1 else ""
            words = head.split()
            at = next((k for k in range(len(words) - 1, 0, -1) if words[k - 1].lower() in _RELATIVE and is_verb(words[k])),
                      None)  # "a workflow that receives ...", "a repo contains a script that scrapes ..."
            at = at if at is not None else next((k for k, w in enumerate(words) if k and w[:1].islower() and is_verb(w)), None)
            before = " ".join(parts[:max(0, verbs[0] - 1)] + (words[:at] if at is not None else words))
            first = " ".join(words[at:]) if at is not None else ""
            items = [n for n in mentions(before)]
            items += [first] if len(first.split()) >= 2 else []
            items += [parts[i] for i in verbs]
        else:
            inc = _INCLUDES.search(sentence) or _COUNTED.search(sentence)
            if inc:
                told = _count(inc.groupdict().get("count"))
                said_items = _ENUM_END.split(_PAREN.sub("", sentence[inc.end():]), maxsplit=1)[0]  # "... — all automated"
                rest = [p for p in _SERIES_SPLIT.split(said_items.strip().rstrip(".")) if p.strip()]
                if rest and " and " in rest[-1] and len(rest) >= 2 and not re.search(r"\band\s+(?:then|finally)\b", sentence):
                    rest = rest[:-1] + re.split(r"\s+and\s+", rest[-1], maxsplit=1)
                longest = 6 if told == len(rest) else 4  # as many items as the text counts: longer ones too
                if len(rest) >= 3 and all(1 <= len(p.split()) <= longest for p in rest) and told in (None, len(rest)):
                    items = rest
        items = [_item(x) for x in items]
        if len(items) >= 3 and all(items) and len(items) > len(best):
            best, said = items, sentence
    return (best, said) if 3 <= len(best) <= MAX_PLAN_NODES else None


def read_prose(text: str) -> Plan | None:
    """The steps a text names (`_components`), or the series of stages one sentence lists (`series`)
    when that says more: more steps, and every component that sentence names among them."""
    named = _components(text)
    found = series(text)
    if found is None:
        return named
    listed, sentence = found
    counted = _COUNTED.search(sentence)
    if counted and _count(counted.group("count")) == len(listed) and len({x.lower() for x in listed}) == len(listed):
        return Plan.steps([[step_label(x[:1].upper() + x[1:])] for x in listed])  # "five stages: a, b, c, d and e"
    told = sum(len(line.split()) for line in text.splitlines() if not line.lstrip().startswith("#"))
    joined = " ".join(listed).lower()
    # as many stages as components: the stages, when the components are mostly what they act on ("scrapes
    # a JavaScript-rendered website, cleans the data, and pushes the results to a cloud-based database")
    held = named is not None and 3 * sum(name_key(label) in joined for label in named.labels) >= 2 * named.n_nodes and \
        sum(bool(x.split()) and is_verb(x.split()[0]) for x in listed) >= 3
    if named is not None and (len(listed) < named.n_nodes or len(listed) == named.n_nodes and not held) \
            or len(sentence.split()) < 0.4 * told:
        return named  # (a series in one sentence of a long story is one part of it, not the flow; headings aside)
    if not all(name_key(step_label(name)) in joined for name in mentions(sentence)):
        return named  # a component the sentence names that no stage of the series holds
    labels = [step_label(x[:1].upper() + x[1:]) for x in listed]
    if len({x.lower() for x in labels}) != len(labels):
        return named
    return Plan.steps([[x] for x in labels])


def _fuller_name(old: str, new: str) -> str | None:
    """`new` when it names the step `old` names more fully: the old name's words inside it, with more
    around them ("Kafka" -> "Apache Kafka", "Lambda" -> "Lambda function"); else None."""
    if new.endswith("?") or old.endswith("?") or len(new) <= len(old):
        return None
    found = re.search(rf"(?i)(?<!\w){re.escape(old)}(?!\w)", new)
    extra = (new[: found.start()] + " " + new[found.end():]).split() if found else []
    if not extra or len(extra) > 3 or any(is_verb(w) for w in extra):
        return None  # ("S3 stores": a verb of the sentence, not a longer name)
    return new


def _rename(ranks: list[list[str]], loops: list[tuple[str, str]], first_label: dict[str, str], old: str, new: str) -> None:
    """Step `old` is called `new` from now on, wherever the plan so far names it."""
    if any(new in rank for rank in ranks):
        return
    for rank in ranks:
        rank[:] = [new if label == old else label for label in rank]
    loops[:] = [(new if a == old else a, new if b == old else b) for a, b in loops]
    for k, label in first_label.items():
        if label == old:
            first_label[k] = new


def _components(text: str) -> Plan | None:
    """The steps a text names, as ranks (+ loops back), or None when it names fewer than two."""
    ranks: list[list[str]] = []
    seen: dict[str, int] = {}  # key -> rank index
    first_label: dict[str, str] = {}  # key -> the label it was first written as
    loops: list[tuple[str, str]] = []
    pending_if: tuple[str, int] | None = None  # (condition, rank index of the if-branch)
    branches: list[int] = []  # rank indices of decisions' branches
    letters = len(set(_LETTER.findall(text))) >= 3  # "A before B and C. C before D."
    # components named by role ("the vector store") count in a text that names services and tools (2+)
    roles = len({m.group().lower() for m in _NAMED.finditer(text[:4000])}) >= 1 or \
        len({m.group().lower() for m in _ROLE_TECH.finditer(text[:4000])}) >= 2  # "the vector store ... the LLM"
    for sentence in _SENTENCES.split(text.strip()):
        sentence = re.sub(r"^(?:[-•·>\s]|\*(?!\*))+", "", sentence.strip())  # "* **Client** sends ..." keeps its bold
        names = _mentions(sentence, letters, roles)
        loops_before = len(loops)
        cond = _IF.match(sentence)
        otherwise = _OTHERWISE.match(sentence)
        if not names and ranks and (cond or (otherwise and pending_if)):
            # a branch that names no component: the activity its clause states ("... then the user
            # gets a 403 status code" -> "Get 403 status code")
            act = activity(sentence[(cond or otherwise).end():])
            names = [(act, False)] if act and act != "End" else []
        if not names:
            if _WHOLE.search(sentence) and _RETRY.search(sentence) and len(ranks) >= 2:
                loops.append((ranks[-1][-1], ranks[0][0]))  # "The whole process in a loop."
            continue
        previous_new = False  # whether the name before this one in the sentence was a new step
        for i, (name, alternative) in enumerate(names):
            label = step_label(name)
            inner = re.fullmatch(r"(?P<n>.+?) \((?P<a>[^()]+)\)", label)
            key = name_key(inner.group("n")) if inner else name_key(label)  # "MQTT broker (Mosquitto)" is the MQTT broker
            if key not in seen and " " not in name and _ROLE_ALONE_RE.fullmatch(name):
                # "the bucket" after "the S3 bucket", "the queue" after "an SQS queue": the same component
                same = [k for k, lab in first_label.items() if lab.lower().endswith(" " + name.lower())]
                key = same[-1] if same else key
            if key in seen:
                fuller = _fuller_name(first_label[key], label)
                if fuller is not None:  # "Kafka" then "Apache Kafka": one component, named as fully as written
                    _rename(ranks, loops, first_label, first_label[key], fuller)
                if _AGAIN.search(sentence) and ranks and seen[key] < len(ranks) - 1:
                    loops.append((ranks[-1][-1], first_label[key]))
                elif _AGAIN.search(sentence) and len(ranks) >= 2 and seen[key] == len(ranks) - 1 and len(names) == 1:
                    loops.append((first_label[key], ranks[-2][-1]))  # "X retries": back to the step before X
                previous_new = False
                continue
            # "Otherwise, Y" (or a second "If ..., Y" right after one) goes beside the if-branch
            beside_if = i == 0 and (otherwise or cond) and pending_if and pending_if[1] == len(ranks) - 1
            if (beside_if or (alternative and previous_new)) and len(ranks[-1]) < MAX_LAYER_NODES:
                ranks[-1].append(label)  # beside the if-branch, or an alternative to the step before
            else:
                if i == 0 and cond:  # a decision node named by the condition, then its branch
                    ranks.append([step_label(as_question(cond.group("cond")))])
                    branches.append(len(ranks))
                ranks.append([label])
            seen[key] = len(ranks) - 1
            first_label[key] = label
            if inner and name_key(inner.group("a")) not in seen:  # ... and Mosquitto named again later is it too
                seen[name_key(inner.group("a"))] = len(ranks) - 1
                first_label[name_key(inner.group("a"))] = label
            previous_new = True
        named_ranks = sorted({seen[k] for k in (name_key(step_label(n)) for n, _ in names) if k in seen})
        if len(loops) == loops_before and _RETRY.search(sentence) and len(ranks) >= 2:
            if _WHOLE.search(sentence):
                loops.append((ranks[-1][-1], ranks[0][0]))  # "the whole process in a loop"
            elif len(named_ranks) >= 2:
                loops.append((ranks[named_ranks[-1]][-1], ranks[named_ranks[0]][0]))  # "B C D which are in a loop"
            elif named_ranks and named_ranks[-1] == len(ranks) - 1:
                loops.append((ranks[-1][-1], ranks[-2][0]))  # "... and X retries": back to the step before
        pending_if = (cond.group("cond"), len(ranks) - 1) if cond else None
    for at in branches:
        _else_continue(ranks, at)  # an "If ..." branch with no other branch
    if sum(len(r) for r in ranks) < 2 or sum(len(r) for r in ranks) > MAX_PLAN_NODES:
        return None
    plan = Plan.steps(ranks)
    ids = {label: i for i, label in enumerate(plan.labels)}
    back = tuple(sorted({(ids[a], ids[b]) for a, b in loops if a in ids and b in ids and ids[b] < ids[a]}))
    return Plan.steps(plan.ranks, back) if back else plan


# ---- a check told in a pipeline's text ------------------------------------------------------------------

# "if the gate fails", "only when the price changes", "when unsure", "whether the range is permitted":
# a condition; "if you wish", "if any", "if needed" are none
_CHECK = re.compile(r"\b(?:(?:only[ \t]+)?(?:if|unless|whether)|only[ \t]+when|in[ \t]+case)[ \t]+(?!(?:you|any|needed|"
                    r"necessary|desired|required|applicable|so|possible|available|wanted|present)\b)"
                    r"(?P<c>[^,.;:!?()\n>→]{3,60})|"
                    r"\bwhen[ \t]+(?P<w>[^,.;:!?()\n]{0,40}?\b(?:fails?|failed|errors?|unsure|invalid|exceeds?|drops?|"
                    r"changes?|detected|degrad\w+|not)\b[^,.;:!?()\n]{0,30})|"
                    r"\b(?P<f>(?:the[ \t]+)?[A-Za-z\"'][\w\"']{1,20}[ \t]+fails)\b", re.I)
_STEM_STOP = frozenset("the a an and or of to in on for with by from into at as its it is are be via then".split())


def _stems(text: str) -> list[str]:
    return [w[:5] for w in re.findall(r"[a-z0-9]{3,}", text.lower()) if w not in _STEM_STOP]


def with_checks(plan: Plan | None, text: str) -> Plan | None:
    """A plain chain of steps whose text states a check ("If the gate fails, the pipeline aborts", "Escalates
    to humans when unsure", "updates the database only when the price changes"): a "C?" decision before the
    step the check guards, its other branch going past it ("Else: continue"). The step is the one the
    sentence opens with when it says what that step does under the condition, else the step after the last
    one the sentence names before the condition. One check a plan; a plan with a branch, loop or lane, or a
    text with no such check, as it was."""
    if plan is None or plan.kind != "steps" or plan.loops or plan.lanes or any(len(r) != 1 for r in plan.ranks) \
            or plan.n_nodes < 2 or plan.n_nodes + 2 > MAX_PLAN_NODES:
        return plan
    labels = [rank[0] for rank in plan.ranks]
    if any(label.endswith("?") or label == ELSE_CONTINUE or re.search(r"(?i)\b(?:if|whether)\b", label) for label in labels):
        return plan  # a step that states its check itself ("Check if value > threshold") is drawn as written
    stems = [set(_stems(label)) for label in labels]
    for sentence in _SENTENCES.split(_unwrap(text or "")[:4000]):
        check = _CHECK.search(sentence)
        if check is None:
            continue
        cond = check.group("c") or check.group("w") or check.group("f")
        before = sentence[: check.start()].lower()
        after = sentence[check.end():]
        guarded = None
        if re.match(r"\s*,\s*\S", after):  # "if C, Y": the step Y names
            then = set(_stems(after))
            guarded = next((k for k, want in enumerate(stems) if k and want and want <= then), None)
            before = sentence[: check.end()].lower()
        else:  # "X when C", "Escalates to humans when unsure": the step the sentence opens with
            opening = set(_stems(" ".join(re.sub(r"^[\s\-*•#>\d.)]+", "", sentence).split()[:4])))
            guarded = next((k for k, want in enumerate(stems)
                            if k and want and len(want & opening) >= max(1, (len(want) + 1) // 2)), None)
        if guarded is None:  # "... the Lambda function checks if X": past the last step named before the check
            named = [(max(before.rfind(w) for w in want), k) for k, want in enumerate(stems)
                     if want and any(w in before for w in want)]
            if not named:
                continue
            guarded = max(named)[1] + 1
        if guarded >= len(labels):
            continue
        ranks = [[x] for x in labels[:guarded]] + [[step_label(as_question(cond))], [labels[guarded], ELSE_CONTINUE]] \
            + [[x] for x in labels[guarded + 1:]]
        return Plan.steps(ranks)
    return plan


# where a pipeline's failures go: a sink named for them ("DLQ", "Exceptions queue") or one a sentence sends
# failed, late, invalid or rejected items to ("failed data is backed up using an S3 bucket")
_SINK_NAME = re.compile(r"(?i)\b(?:dlq|dead[- ]?letter|exceptions?|errors?|failures?|failed|quarantine|rejects?|rejected|"
                        r"poison)\b")
_FAILED = re.compile(r"(?i)\b(?:fail(?:s|ed|ures?|ing)?|errors?|exceptions?|invalid|late|rejected|unprocessable|"
                     r"undeliverable|malformed|poison)\b")


def _sink(label: str, sentences: list[str]) -> bool:
    """A step that only takes a pipeline's failures: named for them, or first named in a sentence that
    speaks of failed/late/invalid items before it ("failed data is backed up using an S3 bucket"; not
    "Notify on failure", "Monitor errors", where the failures come after the step)."""
    if _SINK_NAME.search(label):
        return True
    want = set(_stems(label))
    first = next((s for s in sentences if want and want <= set(_stems(s))), None)
    if first is None:
        return False
    at = min((m.start() for m in re.finditer(r"[A-Za-z0-9]{3,}", first) if m.group().lower()[:5] in want),
             default=0)
    return _FAILED.search(first[max(0, at - 100):at]) is not None


def with_side_paths(plan: Plan | None, text: str) -> Plan | None:
    """A plain chain of 4+ steps whose last step takes only its failures ("... > OpenSearch > S3" when
    "failed data is backed up using an S3 bucket"; "... > Validate > Exceptions queue"; a DLQ): that
    step beside the step before it, a branch from the step before both, not a stage after it. A
    plan with a branch, loop or lane, or whose last two steps both take failures, as it was."""
    if plan is None or plan.kind != "steps" or plan.loops or plan.lanes or any(len(r) != 1 for r in plan.ranks) \
            or plan.n_nodes < 4:
        return plan
    labels = [rank[0] for rank in plan.ranks]
    sentences = [s for s in _SENTENCES.split(_unwrap(text or "")[:4000]) if s.strip()]
    if not _sink(labels[-1], sentences) or _sink(labels[-2], sentences) or _FAILED.search(labels[-2]):
        return plan  # (two sinks at the end; "Lambda (fails 3 times) > DLQ": the failures come from the step before)
    return Plan.steps([[x] for x in labels[:-2]] + [labels[-2:]])


_FEEDBACK = re.compile(r"(?i)\bre-?train\w*|\bfeedback[ \t]+loops?\b|\bcontinuous[ \t]+(?:improvement|training|learning)\b")
_TRAINING = re.compile(r"(?i)(?<!re)(?<!re-)\btrain\w*")


def with_feedback(plan: Plan | None, text: str) -> Plan | None:
    """An ML lifecycle whose last stage retrains or closes a feedback loop ("Retraining: triggered when drift is
    detected", "Continuous improvement" over "- Feedback loops from production"): a loop from that stage
    back to the training stage (else the first). Only for a plan with no loop whose stage names it (or the
    text under a last stage's heading says it); else the plan as it was."""
    if plan is None or plan.kind != "steps" or plan.loops or plan.lanes or plan.n_nodes < 3:
        return plan
    labels = list(plan.labels)
    last = max((k for k, label in enumerate(labels) if _FEEDBACK.search(label)), default=None)
    if last is None:  # "## 7. Continuous improvement\n- Feedback loops from production": the last stage's body
        tail = (text or "")[-600:]
        final = labels[-1]
        at = tail.lower().rfind(final.lower())
        last = len(labels) - 1 if at >= 0 and _FEEDBACK.search(tail[at:]) and len(labels) >= 4 else None
    if last is None or last < 2:
        return plan
    back = next((k for k in range(last) if _TRAINING.search(labels[k])), 0)
    return Plan.steps(plan.ranks, ((last, back),))
