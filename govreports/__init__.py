"""govreports: crawl, parse and store China's annual reports on government information disclosure
(政府信息公开工作年度报告) as a citable dataset."""
__version__ = "0.1.0"
# The parser's own version, stored on every parse (report_versions.parser_version). Bump it when a
# change to govreports.parse and its steps changes the output, so `python -m govreports reparse
# --stale` finds what an older parser made. Versions parsed before it existed carry "0.1.0".
PARSER_VERSION = "0.3"
