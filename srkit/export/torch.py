"""A torch module computing an Expr, with its coefficients as trainable parameters."""

from __future__ import annotations

from typing import Any

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR

__all__ = ["to_torch"]


def to_torch(expr: Expr, *, dtype: Any = None, trainable: bool = True) -> Any:
    """A ``torch.nn.Module`` whose ``forward(X)`` maps ``(n, n_features)`` to ``(n,)``.

    The coefficients are ``module.coefs`` (a Parameter when ``trainable``), so the
    formula can be fine-tuned with any torch optimizer.

    Examples
    --------
    >>> import torch
    >>> from srkit.core.parse import parse
    >>> m = to_torch(parse("2*x0 + sin(x1)"))
    >>> m(torch.tensor([[1.0, 0.0]], dtype=torch.float64)).tolist()
    [2.0]
    """
    import torch

    dtype = dtype or torch.float64

    class ExprModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            values = torch.tensor(expr.coefs.copy(), dtype=dtype)
            if trainable:
                self.coefs = torch.nn.Parameter(values)
            else:
                self.register_buffer("coefs", values)
            self.expr = expr
            self._forms = [
                None if c < 2 else expr.opset.operator(c).torch_form() for c in range(len(expr.opset.arity))
            ]

        def forward(self, X: Any) -> Any:
            codes, args = self.expr.codes.tolist(), self.expr.args.tolist()
            arity = self.expr.opset.arity
            stack: list[Any] = []
            for i in range(len(codes) - 1, -1, -1):
                c = codes[i]
                if c == VAR:
                    stack.append(X[:, args[i]])
                elif c == COEF:
                    stack.append(self.coefs[args[i]])
                elif arity[c] == 0:
                    stack.append(torch.tensor(float(self._forms[c]), dtype=X.dtype))
                else:
                    operands = [stack.pop() for _ in range(int(arity[c]))]
                    stack.append(self._forms[c](*operands))
            out = stack[0]
            return out.expand(X.shape[0]) if out.dim() == 0 else out

        def extra_repr(self) -> str:
            return str(self.expr)

    return ExprModule()
