"""govreports: crawl, parse and store China's annual reports on government information disclosure
(政府信息公开工作年度报告) as a citable dataset."""
__version__ = "0.1.0"
