//! A pickle reader that understands exactly the data the benchmark packages ship, and nothing
//! that would need code to run.
//!
//! Python's pickle format is a small stack machine. This module interprets the opcodes of
//! protocols 2–4 that plain containers use (dicts, lists, tuples, strings, bytes, ints,
//! floats, booleans, `None`, memo references), plus two tightly bounded extras that the
//! benchmark files need:
//!
//! - numpy float64 scalars, stored as `REDUCE(numpy.core.multiarray.scalar, (dtype('f8'), 8
//!   bytes))`, where the dtype itself is `REDUCE(numpy.dtype, ('f8', False, True))` followed by
//!   `BUILD` with its byte-order state. Only these two callables and only this form are
//!   accepted; the scalar is decoded here as an `f64`.
//! - instances of plain classes that the caller names in an allow-list, created with
//!   `NEWOBJ(cls, ())` and filled with `BUILD(state_dict)`. No class is imported or called: the
//!   instance is kept as its class name and its state dictionary.
//!
//! Every other opcode, global or callable is refused with an error naming it and its byte
//! offset. Nothing is ever executed.

use std::collections::HashMap;
use std::fmt;

/// Index of a value in a [`Pickle`]'s arena.
pub type NodeId = u32;

/// One unpickled value. Containers refer to their items by [`NodeId`], so a value shared
/// through the memo is stored once, exactly as pickle shares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<NodeId>),
    Tuple(Vec<NodeId>),
    Dict(Vec<(NodeId, NodeId)>),
    /// A module attribute named by `GLOBAL`/`STACK_GLOBAL`; only allow-listed ones get here.
    Global {
        module: String,
        name: String,
    },
    /// An instance of an allow-listed class: the class (a `Global` node) and its `BUILD` state.
    Object {
        class: NodeId,
        state: Option<NodeId>,
    },
    /// A numpy dtype, kept only to decode the scalars that use it.
    Dtype {
        code: String,
        little_endian: bool,
    },
}

/// What went wrong, and at which byte of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct PickleError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for PickleError {}

/// A decoded pickle: an arena of values and the root value.
#[derive(Debug, Clone)]
pub struct Pickle {
    nodes: Vec<Node>,
    root: NodeId,
}

const NUMPY_SCALAR: (&str, &str) = ("numpy.core.multiarray", "scalar");
const NUMPY_DTYPE: (&str, &str) = ("numpy", "dtype");

#[derive(Clone, Copy)]
enum Slot {
    Mark,
    Node(NodeId),
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    /// Offset of the opcode being executed, for error messages.
    op_start: usize,
    nodes: Vec<Node>,
    stack: Vec<Slot>,
    memo: HashMap<u32, NodeId>,
    allowed_classes: &'a [(&'a str, &'a str)],
}

impl Pickle {
    /// Decodes `data`. `allowed_classes` lists the `(module, name)` pairs that may be
    /// instantiated with `NEWOBJ`; numpy's float64 scalars are always understood.
    pub fn parse(data: &[u8], allowed_classes: &[(&str, &str)]) -> Result<Pickle, PickleError> {
        let mut m = Machine {
            data,
            pos: 0,
            op_start: 0,
            nodes: Vec::new(),
            stack: Vec::new(),
            memo: HashMap::new(),
            allowed_classes,
        };
        let root = m.run()?;
        Ok(Pickle {
            nodes: m.nodes,
            root,
        })
    }

    pub fn root(&self) -> NodeId {
        self.root
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The entries of a dict, or a description of what the value is instead.
    pub fn dict(&self, id: NodeId) -> Result<&[(NodeId, NodeId)], String> {
        match self.node(id) {
            Node::Dict(items) => Ok(items),
            other => Err(format!("expected a dict, found {}", kind(other))),
        }
    }

    /// The items of a list or tuple.
    pub fn sequence(&self, id: NodeId) -> Result<&[NodeId], String> {
        match self.node(id) {
            Node::List(items) | Node::Tuple(items) => Ok(items),
            other => Err(format!("expected a list or tuple, found {}", kind(other))),
        }
    }

    pub fn str(&self, id: NodeId) -> Result<&str, String> {
        match self.node(id) {
            Node::Str(s) => Ok(s),
            other => Err(format!("expected a string, found {}", kind(other))),
        }
    }

    pub fn int(&self, id: NodeId) -> Result<i64, String> {
        match self.node(id) {
            Node::Int(v) => Ok(*v),
            other => Err(format!("expected an integer, found {}", kind(other))),
        }
    }

    /// A float, or an integer read as a float (pickle writes `10.0` and `10` differently).
    pub fn number(&self, id: NodeId) -> Result<f64, String> {
        match self.node(id) {
            Node::Float(v) => Ok(*v),
            Node::Int(v) => Ok(*v as f64),
            other => Err(format!("expected a number, found {}", kind(other))),
        }
    }

    /// The value stored under the string key `key` in a dict.
    pub fn get(&self, dict: NodeId, key: &str) -> Result<NodeId, String> {
        self.dict(dict)?
            .iter()
            .find(|(k, _)| matches!(self.node(*k), Node::Str(s) if s == key))
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("missing key '{key}'"))
    }

    /// The `BUILD` state of an instance of `module.name`.
    pub fn object_state(&self, id: NodeId, module: &str, name: &str) -> Result<NodeId, String> {
        match self.node(id) {
            Node::Object { class, state } => {
                match self.node(*class) {
                    Node::Global { module: m, name: n } if m == module && n == name => {}
                    Node::Global { module: m, name: n } => {
                        return Err(format!("expected a {module}.{name}, found a {m}.{n}"));
                    }
                    _ => unreachable!("objects are only built from globals"),
                }
                state.ok_or_else(|| format!("the {module}.{name} instance has no state"))
            }
            other => Err(format!(
                "expected a {module}.{name} instance, found {}",
                kind(other)
            )),
        }
    }
}

fn kind(node: &Node) -> &'static str {
    match node {
        Node::None => "None",
        Node::Bool(_) => "a bool",
        Node::Int(_) => "an integer",
        Node::Float(_) => "a float",
        Node::Str(_) => "a string",
        Node::Bytes(_) => "bytes",
        Node::List(_) => "a list",
        Node::Tuple(_) => "a tuple",
        Node::Dict(_) => "a dict",
        Node::Global { .. } => "a global",
        Node::Object { .. } => "an object",
        Node::Dtype { .. } => "a numpy dtype",
    }
}

impl Machine<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, PickleError> {
        Err(PickleError {
            offset: self.op_start,
            message: message.into(),
        })
    }

    fn take(&mut self, n: usize) -> Result<&[u8], PickleError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end {
            Some(end) => {
                let bytes = &self.data[self.pos..end];
                self.pos = end;
                Ok(bytes)
            }
            None => Err(PickleError {
                offset: self.op_start,
                message: format!(
                    "truncated: needs {n} more bytes, the stream has {} left",
                    self.data.len() - self.pos
                ),
            }),
        }
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, PickleError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, PickleError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn line(&mut self) -> Result<String, PickleError> {
        let rest = &self.data[self.pos..];
        let Some(len) = rest.iter().position(|&b| b == b'\n') else {
            return self.err("truncated: GLOBAL name has no end of line");
        };
        let text = std::str::from_utf8(&rest[..len]).map_err(|_| PickleError {
            offset: self.op_start,
            message: "GLOBAL name is not UTF-8".into(),
        })?;
        let text = text.to_owned();
        self.pos += len + 1;
        Ok(text)
    }

    fn utf8(&mut self, len: usize) -> Result<Node, PickleError> {
        let start = self.op_start;
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Node::Str(s.to_owned())),
            Err(_) => Err(PickleError {
                offset: start,
                message: "string is not valid UTF-8".into(),
            }),
        }
    }

    fn push(&mut self, node: Node) {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(node);
        self.stack.push(Slot::Node(id));
    }

    fn pop(&mut self) -> Result<NodeId, PickleError> {
        match self.stack.pop() {
            Some(Slot::Node(id)) => Ok(id),
            Some(Slot::Mark) => self.err("expected a value on the stack, found a MARK"),
            None => self.err("stack underflow"),
        }
    }

    fn top(&self) -> Result<NodeId, PickleError> {
        match self.stack.last() {
            Some(Slot::Node(id)) => Ok(*id),
            Some(Slot::Mark) => self.err("expected a value on the stack, found a MARK"),
            None => self.err("stack underflow"),
        }
    }

    /// Pops everything above the topmost MARK, and the MARK.
    fn pop_mark(&mut self) -> Result<Vec<NodeId>, PickleError> {
        let Some(mark) = self.stack.iter().rposition(|s| matches!(s, Slot::Mark)) else {
            return self.err("no MARK on the stack");
        };
        let items = self.stack[mark + 1..]
            .iter()
            .map(|s| match s {
                Slot::Node(id) => *id,
                Slot::Mark => unreachable!("rposition found the topmost mark"),
            })
            .collect();
        self.stack.truncate(mark);
        Ok(items)
    }

    fn memo_put(&mut self, key: u32) -> Result<(), PickleError> {
        let id = self.top()?;
        self.memo.insert(key, id);
        Ok(())
    }

    fn memo_get(&mut self, key: u32) -> Result<(), PickleError> {
        match self.memo.get(&key) {
            Some(&id) => {
                self.stack.push(Slot::Node(id));
                Ok(())
            }
            None => self.err(format!("memo key {key} was never stored")),
        }
    }

    fn tuple(&mut self, n: usize) -> Result<(), PickleError> {
        if self.stack.len() < n {
            return self.err("stack underflow");
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        self.push(Node::Tuple(items));
        Ok(())
    }

    fn extend_list(&mut self, list: NodeId, items: Vec<NodeId>) -> Result<(), PickleError> {
        match &mut self.nodes[list as usize] {
            Node::List(v) => {
                v.extend(items);
                Ok(())
            }
            other => {
                let k = kind(other);
                self.err(format!("APPEND to {k}, not a list"))
            }
        }
    }

    fn extend_dict(&mut self, dict: NodeId, items: Vec<NodeId>) -> Result<(), PickleError> {
        if !items.len().is_multiple_of(2) {
            return self.err("SETITEMS with an odd number of values");
        }
        let pairs = items.chunks_exact(2).map(|p| (p[0], p[1]));
        match &mut self.nodes[dict as usize] {
            Node::Dict(v) => {
                v.extend(pairs);
                Ok(())
            }
            other => {
                let k = kind(other);
                self.err(format!("SETITEM on {k}, not a dict"))
            }
        }
    }

    fn global(&mut self, module: String, name: String) -> Result<(), PickleError> {
        let pair = (module.as_str(), name.as_str());
        let allowed =
            pair == NUMPY_SCALAR || pair == NUMPY_DTYPE || self.allowed_classes.contains(&pair);
        if !allowed {
            return self.err(format!(
                "global {module}.{name} is not allowed (nash never runs pickled code)"
            ));
        }
        self.push(Node::Global { module, name });
        Ok(())
    }

    fn is_global(&self, id: NodeId, (module, name): (&str, &str)) -> bool {
        matches!(self.nodes[id as usize].clone(), Node::Global { module: m, name: n } if m == module && n == name)
    }

    /// `REDUCE`: only numpy's dtype constructor and float64 scalar are understood.
    fn reduce(&mut self) -> Result<(), PickleError> {
        let args = self.pop()?;
        let callable = self.pop()?;
        let Node::Tuple(args) = self.nodes[args as usize].clone() else {
            return self.err("REDUCE arguments are not a tuple");
        };
        if self.is_global(callable, NUMPY_DTYPE) {
            let code = match args.first().map(|&a| &self.nodes[a as usize]) {
                Some(Node::Str(code)) => code.clone(),
                _ => return self.err("numpy.dtype() without a type code"),
            };
            self.push(Node::Dtype {
                code,
                little_endian: true,
            });
            return Ok(());
        }
        if self.is_global(callable, NUMPY_SCALAR) {
            let (dtype, bytes) = match args.as_slice() {
                [d, b] => (&self.nodes[*d as usize], &self.nodes[*b as usize]),
                _ => return self.err("numpy scalar() takes (dtype, bytes)"),
            };
            let value = match (dtype, bytes) {
                (
                    Node::Dtype {
                        code,
                        little_endian,
                    },
                    Node::Bytes(b),
                ) if code == "f8" && b.len() == 8 => {
                    let raw: [u8; 8] = b.as_slice().try_into().expect("8 bytes");
                    if *little_endian {
                        f64::from_le_bytes(raw)
                    } else {
                        f64::from_be_bytes(raw)
                    }
                }
                (Node::Dtype { code, .. }, _) => {
                    return self.err(format!(
                        "numpy scalar of dtype '{code}': only float64 ('f8', 8 bytes) is supported"
                    ));
                }
                _ => return self.err("numpy scalar() arguments are not (dtype, bytes)"),
            };
            self.push(Node::Float(value));
            return Ok(());
        }
        let what = match &self.nodes[callable as usize] {
            Node::Global { module, name } => format!("{module}.{name}"),
            other => kind(other).to_string(),
        };
        self.err(format!(
            "REDUCE of {what} is not allowed (nash never runs pickled code)"
        ))
    }

    fn build(&mut self) -> Result<(), PickleError> {
        let state = self.pop()?;
        let target = self.top()?;
        match self.nodes[target as usize].clone() {
            Node::Object { class, state: None } => {
                self.nodes[target as usize] = Node::Object {
                    class,
                    state: Some(state),
                };
                Ok(())
            }
            Node::Object { .. } => self.err("BUILD on an object that already has a state"),
            Node::Dtype { code, .. } => {
                // numpy's dtype state: (version, byte order, ...).
                let order = match &self.nodes[state as usize] {
                    Node::Tuple(items) if items.len() >= 2 => {
                        match &self.nodes[items[1] as usize] {
                            Node::Str(s) => s.clone(),
                            _ => return self.err("numpy dtype state has no byte order"),
                        }
                    }
                    _ => return self.err("numpy dtype state is not a tuple"),
                };
                let little_endian = match order.as_str() {
                    "<" | "|" | "=" => true,
                    ">" => false,
                    other => return self.err(format!("numpy dtype byte order '{other}'")),
                };
                self.nodes[target as usize] = Node::Dtype {
                    code,
                    little_endian,
                };
                Ok(())
            }
            other => {
                let k = kind(&other);
                self.err(format!("BUILD on {k} is not allowed"))
            }
        }
    }

    fn newobj(&mut self) -> Result<(), PickleError> {
        let args = self.pop()?;
        let class = self.pop()?;
        let class_ok = match &self.nodes[class as usize] {
            Node::Global { module, name } => self
                .allowed_classes
                .iter()
                .any(|&(m, n)| m == module && n == name),
            _ => false,
        };
        if !class_ok {
            return self.err("NEWOBJ of something that is not an allowed class");
        }
        if !matches!(&self.nodes[args as usize], Node::Tuple(a) if a.is_empty()) {
            return self.err("NEWOBJ with constructor arguments is not supported");
        }
        self.push(Node::Object { class, state: None });
        Ok(())
    }

    fn run(&mut self) -> Result<NodeId, PickleError> {
        loop {
            self.op_start = self.pos;
            let Ok(op) = self.u8() else {
                return self.err("truncated: the stream ends before STOP");
            };
            if op == b'.' {
                return self.pop();
            }
            self.op(op)?;
        }
    }

    /// Runs one opcode other than STOP.
    fn op(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            0x80 => {
                // PROTO
                let version = self.u8()?;
                if !(2..=4).contains(&version) {
                    return self.err(format!(
                        "pickle protocol {version}: only protocols 2 to 4 are supported"
                    ));
                }
                Ok(())
            }
            0x95 => {
                // FRAME: a length prefix only; the opcodes inside are read as usual.
                self.u64()?;
                Ok(())
            }
            b'(' | b'}' | b']' | b')' | b'N' | 0x88 | 0x89 => self.scalar_op(op),
            b'K' | b'M' | b'J' | b'G' => self.number_op(op),
            0x8c | b'X' | 0x8d | b'C' | b'B' => self.text_op(op),
            0x94 | b'q' | b'r' | b'h' | b'j' => self.memo_op(op),
            b'a' | b'e' | b's' | b'u' | b't' | 0x85 | 0x86 | 0x87 => self.container_op(op),
            b'c' | 0x93 | b'R' | b'b' | 0x81 => self.object_op(op),
            other => self.err(format!(
                "opcode 0x{other:02x} is not supported (nash reads only plain data pickles)"
            )),
        }
    }

    /// Marks, empty containers, None and booleans.
    fn scalar_op(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            b'(' => self.stack.push(Slot::Mark),
            b'}' => self.push(Node::Dict(Vec::new())),
            b']' => self.push(Node::List(Vec::new())),
            b')' => self.push(Node::Tuple(Vec::new())),
            b'N' => self.push(Node::None),
            0x88 => self.push(Node::Bool(true)),
            0x89 => self.push(Node::Bool(false)),
            _ => unreachable!("dispatched by `op`"),
        }
        Ok(())
    }

    /// Integers and floats.
    fn number_op(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            b'K' => {
                let v = self.u8()?;
                self.push(Node::Int(v.into()))
            }
            b'M' => {
                let v = self.u16()?;
                self.push(Node::Int(v.into()))
            }
            b'J' => {
                let v = self.u32()? as i32;
                self.push(Node::Int(v.into()))
            }
            b'G' => {
                let b = self.take(8)?;
                let v = f64::from_be_bytes(b.try_into().expect("8 bytes"));
                self.push(Node::Float(v))
            }
            _ => unreachable!("dispatched by `op`"),
        }
        Ok(())
    }

    /// Strings and bytes.
    fn text_op(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            0x8c => {
                let n = self.u8()? as usize;
                let s = self.utf8(n)?;
                self.push(s)
            }
            b'X' => {
                let n = self.u32()? as usize;
                let s = self.utf8(n)?;
                self.push(s)
            }
            0x8d => {
                let n = self.u64()?;
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                let s = self.utf8(n)?;
                self.push(s)
            }
            b'C' => {
                let n = self.u8()? as usize;
                let b = self.take(n)?.to_vec();
                self.push(Node::Bytes(b))
            }
            b'B' => {
                let n = self.u32()? as usize;
                let b = self.take(n)?.to_vec();
                self.push(Node::Bytes(b))
            }
            _ => unreachable!("dispatched by `op`"),
        }
        Ok(())
    }

    /// Memo puts and gets.
    fn memo_op(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            0x94 => {
                let key = self.memo.len() as u32;
                self.memo_put(key)?
            }
            b'q' => {
                let key = self.u8()?.into();
                self.memo_put(key)?
            }
            b'r' => {
                let key = self.u32()?;
                self.memo_put(key)?
            }
            b'h' => {
                let key = self.u8()?.into();
                self.memo_get(key)?
            }
            b'j' => {
                let key = self.u32()?;
                self.memo_get(key)?
            }
            _ => unreachable!("dispatched by `op`"),
        }
        Ok(())
    }

    /// Filling lists and dicts, building tuples.
    fn container_op(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            b'a' => {
                let item = self.pop()?;
                let list = self.top()?;
                self.extend_list(list, vec![item])?
            }
            b'e' => {
                let items = self.pop_mark()?;
                let list = self.top()?;
                self.extend_list(list, items)?
            }
            b's' => {
                let value = self.pop()?;
                let key = self.pop()?;
                let dict = self.top()?;
                self.extend_dict(dict, vec![key, value])?
            }
            b'u' => {
                let items = self.pop_mark()?;
                let dict = self.top()?;
                self.extend_dict(dict, items)?
            }
            b't' => {
                let items = self.pop_mark()?;
                self.push(Node::Tuple(items))
            }
            0x85 => self.tuple(1)?,
            0x86 => self.tuple(2)?,
            0x87 => self.tuple(3)?,
            _ => unreachable!("dispatched by `op`"),
        }
        Ok(())
    }

    /// Globals and the objects built from them.
    fn object_op(&mut self, op: u8) -> Result<(), PickleError> {
        match op {
            b'c' => {
                let module = self.line()?;
                let name = self.line()?;
                self.global(module, name)?
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Node::Str(module), Node::Str(name)) = (
                    self.nodes[module as usize].clone(),
                    self.nodes[name as usize].clone(),
                ) else {
                    return self.err("STACK_GLOBAL needs two strings");
                };
                self.global(module, name)?
            }
            b'R' => self.reduce()?,
            b'b' => self.build()?,
            0x81 => self.newobj()?,

            _ => unreachable!("dispatched by `op`"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Pickle, PickleError> {
        Pickle::parse(bytes, &[("pkg.mod", "Thing")])
    }

    // Written by CPython 3.11: pickle.dumps({'a': [1.5, 2], 'b': ('x', None, True)}, protocol=4)
    const DICT_P4: &[u8] = b"\x80\x04\x95$\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(G?\xf8\x00\x00\x00\x00\x00\x00K\x02e\x8c\x01b\x94\x8c\x01x\x94N\x88\x87\x94u.";

    #[test]
    fn reads_plain_containers() {
        let p = parse(DICT_P4).unwrap();
        let a = p.get(p.root(), "a").unwrap();
        let items = p.sequence(a).unwrap();
        assert_eq!(p.number(items[0]).unwrap(), 1.5);
        assert_eq!(p.int(items[1]).unwrap(), 2);
        let b = p.sequence(p.get(p.root(), "b").unwrap()).unwrap();
        assert_eq!(p.str(b[0]).unwrap(), "x");
        assert_eq!(p.node(b[1]), &Node::None);
        assert_eq!(p.node(b[2]), &Node::Bool(true));
    }

    #[test]
    fn truncated_stream_is_an_error_not_a_panic() {
        for cut in 0..DICT_P4.len() {
            let err = parse(&DICT_P4[..cut]).unwrap_err();
            assert!(
                err.message.contains("truncated") || err.message.contains("stack"),
                "{err}"
            );
        }
    }

    #[test]
    fn refuses_code_execution() {
        // pickle.dumps(os.system) at protocol 2: GLOBAL 'posix system'
        let evil = b"\x80\x02cposix\nsystem\nq\x00.";
        let err = parse(evil).unwrap_err();
        assert!(err.message.contains("posix.system is not allowed"), "{err}");
    }

    #[test]
    fn refuses_protocol_5_and_unknown_opcodes() {
        assert!(
            parse(b"\x80\x05N.")
                .unwrap_err()
                .message
                .contains("protocol 5")
        );
        assert!(parse(b"\x80\x04\x96").unwrap_err().message.contains("0x96"));
    }

    #[test]
    fn decodes_numpy_float64_scalar() {
        // pickle.dumps(numpy.float64(1.75), protocol=3) as numpy 1.x writes it.
        let mut p = b"\x80\x03cnumpy.core.multiarray\nscalar\nq\x00cnumpy\ndtype\nq\x01X\x02\x00\x00\x00f8q\x02\x89\x88\x87q\x03Rq\x04(K\x03X\x01\x00\x00\x00<q\x05NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x06bC\x08".to_vec();
        p.extend_from_slice(&1.75f64.to_le_bytes());
        p.extend_from_slice(b"q\x07\x86q\x08Rq\x09.");
        let pk = parse(&p).unwrap();
        assert_eq!(pk.number(pk.root()).unwrap(), 1.75);
    }

    #[test]
    fn builds_allowed_objects_only() {
        // STACK_GLOBAL pkg.mod Thing, NEWOBJ(), BUILD({'v': 3})
        let ok = b"\x80\x04\x8c\x07pkg.mod\x8c\x05Thing\x93)\x81}(\x8c\x01vK\x03ub.";
        let p = parse(ok).unwrap();
        let state = p.object_state(p.root(), "pkg.mod", "Thing").unwrap();
        assert_eq!(p.int(p.get(state, "v").unwrap()).unwrap(), 3);
        let bad = b"\x80\x04\x8c\x07pkg.mod\x8c\x05Other\x93)\x81}b.";
        assert!(
            parse(bad)
                .unwrap_err()
                .message
                .contains("pkg.mod.Other is not allowed")
        );
    }
}
