use marshal_core::marshal::Marshal;

#[derive(Marshal)]
#[marshal(layout = explicit)]
struct S {
    #[marshal(offset = 0)]
    a: i32,
    b: i32,
}

fn main() {}
