"""The demo company generator: ``generate_demo`` (in memory) and ``write_demo`` (company directory).

See copilot/demo/generator.py for what the company contains and the rules it follows.
"""

from copilot.demo.generator import DemoCompany, generate_demo, write_demo

__all__ = ["DemoCompany", "generate_demo", "write_demo"]
